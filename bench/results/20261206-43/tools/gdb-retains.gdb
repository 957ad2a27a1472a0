set pagination off
break *swift_retain
commands
silent
printf "rdi=%lx\n", $rdi
bt 3
continue
end
continue
