/* Forwards to the shared library's header cli/common/exit_codes.h, which new code includes by
 * name: f0sim's sources still include this path. */
#include "common/exit_codes.h"
