# Tests of the AN3155 ROM bootloader model (sim/an3155.c). Included from
# tests/sim/CMakeLists.txt.
add_executable(test_an3155 ${CMAKE_CURRENT_LIST_DIR}/test_an3155.c
                           ${PROJECT_SOURCE_DIR}/sim/an3155.c)
target_include_directories(test_an3155 PRIVATE ${PROJECT_SOURCE_DIR}/sim)
target_link_libraries(test_an3155 PRIVATE PkgConfig::CMOCKA)
add_test(NAME an3155_unit COMMAND test_an3155)
