set pagination off
set print demangle on
break *swift_bridgeObjectRetain
commands
silent
bt 3
printf "rdi=%lx\n", $rdi
x/s (($rdi & 0x0fffffffffffffff)+32)
continue
end
break *swift_bridgeObjectRelease
commands
silent
bt 3
printf "rdi=%lx\n", $rdi
x/s (($rdi & 0x0fffffffffffffff)+32)
continue
end
continue
