#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  size_t total=256<<20, rec=1150; int stride=atoi(argv[1]); int anon=atoi(argv[2]);
  char *m;
  if(anon){ m=mmap(0,total,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); if(anon==2) madvise(m,total,MADV_HUGEPAGE); memset(m,1,total);}
  else { int fd=open("/work/exp/stride.dat",O_RDWR|O_CREAT|O_TRUNC,0644); ftruncate(fd,total); char*b=malloc(1<<20); memset(b,1,1<<20); for(size_t o=0;o<total;o+=1<<20) pwrite(fd,b,1<<20,o); m=mmap(0,total,PROT_READ,MAP_SHARED,fd,0); madvise(m,total,MADV_POPULATE_READ);}
  char *dst=malloc(64<<10); size_t n=total/rec; double t0=now(); size_t cnt=0;
  for(int q=0;q<stride;q++){ size_t j=0; for(size_t i=q;i<n;i+=stride){ memcpy(dst+(j%32)*rec, m+i*rec, rec); j++; cnt++; } }
  double t1=now();
  printf("stride %d anon %d: %.1f ns/record (%zu records)\n",stride,anon,(t1-t0)*1e9/cnt,cnt);
  unlink("/work/exp/stride.dat"); return dst[5];}
