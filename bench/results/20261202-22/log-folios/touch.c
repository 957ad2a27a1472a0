// Touches a file's mapping once per 4 KiB page over [0, len) (read faults; page cache filled by readahead).
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
int main(int argc,char**argv){
  size_t len=strtoull(argv[2],0,10)<<20; int fd=open(argv[1],O_RDONLY);
  char*m=mmap(NULL,len,PROT_READ,MAP_SHARED,fd,0); if(m==MAP_FAILED){perror("mmap");return 1;}
  volatile char s=0; for(size_t o=0;o<len;o+=4096) s+=m[o];
  return 0;
}
