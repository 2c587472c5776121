import Glibc
import TailcallPool

exit(OCIHook.main(.prestart))
