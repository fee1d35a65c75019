/* hello WORD — what test-arm64's exec checks start: prints "hello WORD" and exits 0. */
#include <stdio.h>
int main(int argc, char **argv) {
  printf("hello %s\n", argc > 1 ? argv[1] : "");
  return 0;
}
