// scattered pull: records of 1,100 bytes from 8 interleaved queues; a pull copies one queue's 32 records
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
  size_t rec=1100, nq=8, per=32, total=256<<20, run=rec*nq*per;  // one run: 32 records for each of 8 queues
  char path[]="/var/tmp/mbXXXXXX"; int fd=mkstemp(path); unlink(path); ftruncate(fd,total);
  char*map=mmap(0,total,PROT_READ|PROT_WRITE,MAP_SHARED,fd,0);
  char*src=malloc(run), *dst=malloc(rec*per); memset(src,7,run);
  double tr=0; size_t copied=0;
  for(size_t off=0;off+run<=total;off+=run){
    pwrite(fd,src,run,off);
    double b=now();
    for(int g=0;g<4;g++) for(size_t q=0;q<nq;q++) for(size_t k=0;k<per;k++){ memcpy(dst+k*rec,map+off+(k*nq+q)*rec,rec); }
    tr+=now()-b; copied+=4*run;
  }
  printf("scattered 1,100-byte copies: %.2f GB/s\n",copied/tr/1e9);
  return 0;
}
