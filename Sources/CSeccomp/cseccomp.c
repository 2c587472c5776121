/* Nothing here: SwiftPM needs a source file for a C target. */
#include "cseccomp.h"
