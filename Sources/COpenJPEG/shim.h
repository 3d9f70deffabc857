// OpenJPEG's public header. Debian installs it under /usr/include/openjpeg-2.5/; pkg-config
// (libopenjp2) supplies that include path.
#include <openjpeg.h>
