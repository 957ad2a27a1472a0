import Foundation
func parseDate(_ text: String) -> Int64? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.date(from: text).map { Int64($0.timeIntervalSince1970) }
}
var s: Int64 = 0
_ = parseDate("Wed, 07 Mar 2012 18:49:58 GMT")
let t0 = DispatchTime.now().uptimeNanoseconds
for _ in 0..<2000 { s &+= parseDate("Wed, 07 Mar 2012 18:49:58 GMT") ?? 0 }
let t1 = DispatchTime.now().uptimeNanoseconds
print("ns per parse:", (t1 - t0) / 2000, s)
