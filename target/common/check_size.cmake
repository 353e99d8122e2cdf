# Post-build step: print an image's size and fail (deleting the outputs, so the next build
# fails again) when it exceeds LIMIT bytes. Variables: BIN, ELF, NAME, LIMIT.
file(SIZE ${BIN} size)
math(EXPR free "${LIMIT} - ${size}")
message(STATUS "${NAME}: ${size} bytes of ${LIMIT} (${free} free)")
if(size GREATER LIMIT)
  file(REMOVE ${BIN} ${ELF})
  message(FATAL_ERROR "${NAME} is ${size} bytes, more than the ${LIMIT} bytes it may take")
endif()
