# CTest consumer.installed_package: installs the build into a fresh prefix,
# then configures, builds and runs tests/consumer against it (CMake package),
# and compiles it a second way with the pkg-config file.
# -DBUILD_DIR= the main build, -DSOURCE_DIR= tests/consumer, -DWORK_DIR= scratch.
foreach(v BUILD_DIR SOURCE_DIR WORK_DIR)
  if(NOT ${v})
    message(FATAL_ERROR "${v} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f include/switchboard/switchboard.hpp bin/switchboard lib/systemd/system/switchboard.service)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

# 1. find_package(Switchboard) -> Switchboard::switchboard
set(cxx_args)
if(CXX)
  list(APPEND cxx_args -DCMAKE_CXX_COMPILER=${CXX})
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix} ${cxx_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j2)
run(${WORK_DIR}/build/consumer)

# 2. pkg-config --cflags --libs switchboard
find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB pc_file ${prefix}/lib*/pkgconfig/switchboard.pc ${prefix}/lib/*/pkgconfig/switchboard.pc)
if(NOT pc_file)
  message(FATAL_ERROR "switchboard.pc not installed")
endif()
get_filename_component(pc_dir ${pc_file} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs switchboard
  OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config switchboard failed")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
if(NOT CXX)
  set(CXX c++)
endif()
run(${CXX} -std=c++20 -O1 ${SOURCE_DIR}/main.cpp ${SOURCE_DIR}/polling_client.cpp
    -o ${WORK_DIR}/consumer-pc ${flags})
run(${WORK_DIR}/consumer-pc)
