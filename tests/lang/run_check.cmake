# run_check.cmake - runs `attnc check NAME.attn` in the file's folder and
# compares its output (stdout and stderr together) byte for byte with
# EXPECTED (empty when EXPECTED is "") and its exit status with STATUS.
#   cmake -DATTNC=... -DSOURCE=dir/NAME.attn [-DEXPECTED=dir/NAME.expected]
#         -DSTATUS=0|1 -P run_check.cmake
cmake_minimum_required(VERSION 3.25)
get_filename_component(dir ${SOURCE} DIRECTORY)
get_filename_component(name ${SOURCE} NAME)

execute_process(COMMAND ${ATTNC} check ${name}
                WORKING_DIRECTORY ${dir}
                OUTPUT_VARIABLE actual ERROR_VARIABLE actual
                RESULT_VARIABLE rc)

set(expected "")
set(expected_from "an accept test: no output")
if(EXPECTED)
  set(expected_from ${EXPECTED})
  if(NOT EXISTS ${EXPECTED})
    message(FATAL_ERROR "missing ${EXPECTED}; attnc printed:\n${actual}")
  endif()
  file(READ ${EXPECTED} expected)
endif()

# SEND_ERROR: report both mismatches, then cmake -P exits non-zero.
if(NOT rc STREQUAL STATUS)
  message(SEND_ERROR "exit status: expected ${STATUS}, got ${rc}")
endif()

if(NOT actual STREQUAL expected)
  # Locate the first differing line to make the failure easy to read.
  set(line 1)
  set(a "${actual}")
  set(e "${expected}")
  while(TRUE)
    string(FIND "${a}" "\n" an)
    string(FIND "${e}" "\n" en)
    if(an EQUAL -1 OR en EQUAL -1)
      break()
    endif()
    string(SUBSTRING "${a}" 0 ${an} al)
    string(SUBSTRING "${e}" 0 ${en} el)
    if(NOT al STREQUAL el)
      break()
    endif()
    math(EXPR an "${an} + 1")
    math(EXPR en "${en} + 1")
    string(SUBSTRING "${a}" ${an} -1 a)
    string(SUBSTRING "${e}" ${en} -1 e)
    math(EXPR line "${line} + 1")
  endwhile()
  string(REGEX REPLACE "\n.*" "" al "${a}")
  string(REGEX REPLACE "\n.*" "" el "${e}")
  if(a STREQUAL "")
    set(al "<end of output>")
  endif()
  if(e STREQUAL "")
    set(el "<end of output>")
  endif()
  message(NOTICE "first difference, at line ${line}:\n"
                 "- expected: ${el}\n+ actual:   ${al}\n"
                 "---- expected output ----\n${expected}"
                 "---- actual output ----\n${actual}----")
  message(SEND_ERROR "output differs from the expected one (${expected_from})")
endif()
