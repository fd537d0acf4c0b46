# The flags of every release build the scripts make (Scripts/run, Scripts/bench): release, with Swift's run-time
# exclusivity checks off in every module, SwiftNIO's included. Parley's own targets already turn them off in
# Package.swift; the dependencies can only be reached from the command line. Why: Docs/Architecture.md,
# "Exclusivity checks in release builds".
RELEASE_BUILD_FLAGS=(-c release -Xswiftc -enforce-exclusivity=unchecked)
