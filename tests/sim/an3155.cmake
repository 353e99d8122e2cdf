# Tests of the AN3155 ROM bootloader model (sim/an3155.c). Included from
# tests/sim/CMakeLists.txt.

# Unit tests: the model driven byte by byte against a fake chip.
add_executable(test_an3155 ${CMAKE_CURRENT_LIST_DIR}/test_an3155.c
                           ${PROJECT_SOURCE_DIR}/sim/an3155.c)
target_include_directories(test_an3155 PRIVATE ${PROJECT_SOURCE_DIR}/sim)
target_link_libraries(test_an3155 PRIVATE PkgConfig::CMOCKA)
add_test(NAME an3155_unit COMMAND test_an3155)

# The real stm32flash against the protocol model alone (RAM flash, on a pty).
add_executable(an3155_pty ${CMAKE_CURRENT_LIST_DIR}/an3155_pty.c
                          ${PROJECT_SOURCE_DIR}/sim/an3155.c)
target_include_directories(an3155_pty PRIVATE ${PROJECT_SOURCE_DIR}/sim)
add_test(NAME an3155_stm32flash_model
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_stm32flash.sh bare $<TARGET_FILE:an3155_pty>)

# The real stm32flash against the whole virtual board booted into its ROM bootloader:
# write, verify, Go, and the image runs.
if(TARGET f0sim)
  add_test(NAME sim_stm32flash
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_stm32flash.sh f0sim $<TARGET_FILE:f0sim>
                   --size 16384)
endif()
