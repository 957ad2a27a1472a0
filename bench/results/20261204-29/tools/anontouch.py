import mmap, sys, time
m = mmap.mmap(-1, 2048 << 20, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for i in range(0, len(m), 4096): m[i] = 1
print("touched", flush=True)
time.sleep(int(sys.argv[1]))
