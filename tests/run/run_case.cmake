# run_case.cmake - one `attnc run` test (`attnc CMD` with -DCMD=show): runs
# ATTNC with ARGS ("|" separated), expects exit status STATUS and output (stdout + stderr)
# matching every regex of MATCH ("|" separated; may be empty). When CHECK is
# set, also runs FIXTURE shape on each "FILE=SHAPE" of CHECK.
#   cmake -DATTNC=... -DARGS=a|b -DSTATUS=0 -DMATCH=re1|re2 [-DFIXTURE=... -DCHECK=f=1,2]
#         -P run_case.cmake
cmake_minimum_required(VERSION 3.25)
string(REPLACE "|" ";" args "${ARGS}")
if(NOT CMD)
  set(CMD run)
endif()
execute_process(COMMAND ${ATTNC} ${CMD} ${args} OUTPUT_VARIABLE out ERROR_VARIABLE out
                RESULT_VARIABLE rc)
if(NOT rc STREQUAL STATUS)
  message(SEND_ERROR "exit status: expected ${STATUS}, got ${rc}\noutput:\n${out}")
endif()
if(MATCH)
  string(REPLACE "|" ";" regexes "${MATCH}")
  foreach(re IN LISTS regexes)
    if(NOT out MATCHES "${re}")
      message(SEND_ERROR "output does not match '${re}':\n${out}")
    endif()
  endforeach()
endif()
if(CHECK)
  string(REPLACE "|" ";" checks "${CHECK}")
  foreach(c IN LISTS checks)
    string(REPLACE "=" ";" parts "${c}")
    list(GET parts 0 file)
    list(GET parts 1 shape)
    execute_process(COMMAND ${FIXTURE} shape ${file} ${shape} OUTPUT_VARIABLE fout ERROR_VARIABLE fout
                    RESULT_VARIABLE frc)
    if(NOT frc EQUAL 0)
      message(SEND_ERROR "${file}: ${fout}")
    endif()
  endforeach()
endif()
