/* Forwards to the shared library's header cli/common/util.h, which new code includes by
 * name: f0sim's sources still include this path. */
#include "common/util.h"
