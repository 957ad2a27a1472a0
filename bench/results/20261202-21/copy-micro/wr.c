// pwrite vs store-through-mapping: how fast a reader then copies the fresh bytes out of the mapping
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  int mode=atoi(argv[1]); // 0 pwrite, 1 memcpy into mapping (fallocated)
  size_t total=256<<20, chunk=32<<10;
  char path[]="/var/tmp/mbXXXXXX"; int fd=mkstemp(path); unlink(path);
  if(mode==1) fallocate(fd,0,0,total); else ftruncate(fd,total);
  char*map=mmap(0,total,PROT_READ|PROT_WRITE,MAP_SHARED,fd,0);
  char*src=malloc(chunk), *dst=malloc(chunk); memset(src,7,chunk);
  double tw=0,tr=0;
  for(size_t off=0;off<total;off+=chunk){
    double a=now();
    if(mode==0) pwrite(fd,src,chunk,off); else memcpy(map+off,src,chunk);
    double b=now();
    size_t lag=(size_t)atoi(argv[2])*chunk; if(off>=lag) for(int g=0;g<4;g++) memcpy(dst,map+off-lag,chunk);
    double c=now(); tw+=b-a; tr+=c-b;
  }
  printf("mode %d: write %.2f GB/s, 4 reads %.2f GB/s per read-copy\n",mode,total/tw/1e9,4*total/tr/1e9);
  return 0;
}
