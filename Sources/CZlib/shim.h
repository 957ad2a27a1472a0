// CZlib: exposes the system zlib (inflate/deflate) to Swift for compressed RocketMQ bodies.
#include <zlib.h>
