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
  size_t total=(size_t)atol(argv[1])<<20; int mode=atoi(argv[2]); /*0 none,1 readahead,2 fadvise willneed,3 populate_read mmap*/
  char path[64]; sprintf(path,"/work/exp/f%d.dat",getpid());
  int fd=open(path,O_RDWR|O_CREAT|O_TRUNC,0644); ftruncate(fd,1<<30);
  fallocate(fd,0,0,total);
  double t0=now();
  if(mode==1){ for(size_t o=0;o<total;o+=(2<<20)) readahead(fd,o,2<<20);}
  if(mode==2) posix_fadvise(fd,0,total,POSIX_FADV_WILLNEED);
  if(mode==3){ char*m=mmap(0,total,PROT_READ,MAP_SHARED,fd,0); madvise(m,total,MADV_POPULATE_READ); munmap(m,total);}
  double t1=now();
  unsigned char *vec=malloc(total/4096); char*m=mmap(0,total,PROT_READ,MAP_SHARED,fd,0); mincore(m,total,vec); size_t res=0; for(size_t i=0;i<total/4096;i++) res+=vec[i]&1; munmap(m,total);
  size_t bs=atol(argv[3]); char*buf=malloc(bs); memset(buf,120,bs);
  double t2=now(); size_t off=0; while(off+bs<=total){ pwrite(fd,buf,bs,off); off+=bs;}
  double t3=now();
  printf("mode %d: prep %.1f ms (%.2f us/page), resident %zu/%zu pages, write %.1f ms (%.2f us/page)\n",mode,(t1-t0)*1e3,(t1-t0)*1e6/(total/4096),res,total/4096,(t3-t2)*1e3,(t3-t2)*1e6/(total/4096));
  unlink(path); return 0;}
