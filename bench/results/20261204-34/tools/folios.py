# folios.py FILE OFF_MB LEN_MB: histogram of page-cache folio sizes (KiB) over a file range, via pagemap + kpageflags
import ctypes, os, struct, sys, collections
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
path, off, ln = sys.argv[1], int(sys.argv[2]) << 20, int(sys.argv[3]) << 20
fd = os.open(path, os.O_RDONLY)
p = libc.mmap(None, ln, 1, 1, fd, off)
vec = ctypes.create_string_buffer(ln >> 12)
libc.mincore(p, ln, vec)
pm = open('/proc/self/pagemap', 'rb'); kf = open('/proc/kpageflags', 'rb')
def flags(i):
    if not vec.raw[i] & 1: return None
    ctypes.c_char.from_address(p + (i << 12)).value  # touch (read) the cached page to map it
    pm.seek(((p >> 12) + i) * 8); e = struct.unpack('Q', pm.read(8))[0]
    if not e >> 63: return None
    kf.seek((e & ((1 << 55) - 1)) * 8); return struct.unpack('Q', kf.read(8))[0]
sizes = collections.Counter(); i = 0; n = ln >> 12
while i < n:
    f = flags(i)
    if f is None: sizes['absent'] += 1; i += 1; continue
    if f >> 15 & 1:
        j = i + 1
        while j < n and (flags(j) or 0) >> 16 & 1: j += 1
        sizes[(j - i) * 4] += 1; i = j
    else: sizes[4] += 1; i += 1
print(dict(sizes))
