import Glibc
import OCIHooks

exit(OCIHook.main(.poststop))
