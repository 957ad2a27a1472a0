import Testing
@testable import ApusHTTP
