// Page-cache folio experiment: cost of pre-touching a sparse file's mapping (MADV_HUGEPAGE) and of pwrites after.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <sys/mman.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int argc,char**argv){
  const char*path=argv[1]; int huge=atoi(argv[2]); int pretouch=atoi(argv[3]);
  size_t seg=1UL<<30, len=400UL<<20;
  int fd=open(path,O_RDWR|O_CREAT|O_TRUNC,0644); ftruncate(fd,seg);
  char*m=mmap(NULL,seg,PROT_READ|PROT_WRITE,MAP_SHARED,fd,0);
  if(huge) if(madvise(m,seg,MADV_HUGEPAGE)) perror("madvise");
  double t0=now(); volatile char s=0;
  if(pretouch) for(size_t o=0;o<len;o+=pretouch) s+=m[o];
  double t1=now();
  char buf[40960]; memset(buf,'x',sizeof buf);
  for(size_t o=0;o+sizeof buf<=len;o+=sizeof buf) pwrite(fd,buf,sizeof buf,o);
  double t2=now();
  // read back through the mapping
  size_t sum=0; for(size_t o=0;o<len;o+=64) sum+=m[o];
  double t3=now();
  char cmd[256]; snprintf(cmd,sizeof cmd,"grep -E 'FileHugePages' /proc/meminfo | tr -s ' ' | tr '\\n' ' '; grep -A20 '%s' /proc/%d/smaps | grep -m1 FilePmdMapped | tr -s ' '",path,getpid()); 
  printf("huge=%d pretouch=%d: pretouch %.3f s, pwrite %.3f s (%.0f MB/s), read %.3f s | ",huge,pretouch,t1-t0,t2-t1,len/1e6/(t2-t1),t3-t2); fflush(stdout);
  system(cmd);
  close(fd); unlink(path); return (int)(sum&0)+s*0;
}
