# install_test.cmake - `cmake --install` of the build tree BUILD into a
# fresh PREFIX (under WORK), then configures, builds and runs the consumer
# project (examples/consumer) against it with find_package(attn). The
# installed attnc must find its stdlib under PREFIX (ATTN_STDLIB is unset).
#   cmake -DBUILD=... -DWORK=... -DEXAMPLES=... [-DFLAGS=...] -P install_test.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
unset(ENV{ATTN_STDLIB})
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  message(STATUS "${what}: ok")
endfunction()
step("install" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${prefix})
step("configure consumer" ${CMAKE_COMMAND} -S ${EXAMPLES}/consumer -B ${WORK}/build -G Ninja
     -DCMAKE_PREFIX_PATH=${prefix} -DEXAMPLES=${EXAMPLES} "-DCMAKE_C_FLAGS=${FLAGS}"
     "-DCMAKE_EXE_LINKER_FLAGS=${FLAGS}")
step("build consumer" ${CMAKE_COMMAND} --build ${WORK}/build)
step("run consumer" ${WORK}/build/run_variant)
