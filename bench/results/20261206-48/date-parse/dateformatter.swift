// The old MQSignature.parseDate: its time per parse, then what it took and refused (icu-cases.txt).
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

for c in ["Wed, 07 Mar 2012 18:49:58 GMT", "Thu, 07 Mar 2012 18:49:58 GMT", "Wed, 7 Mar 2012 18:49:58 GMT", "wed, 07 mar 2012 18:49:58 GMT",
          "WED, 07 MAR 2012 18:49:58 gmt", "Wed, 32 Mar 2012 18:49:58 GMT", "Wed, 00 Mar 2012 18:49:58 GMT", "Wed, 07 Mar 2012 24:00:00 GMT",
          "Wed, 07 Mar 2012 23:60:00 GMT", "Wed, 07 Mar 2012 23:59:60 GMT", "Wed, 07 Mar 2012 18:49:58 UTC", "Wed,07 Mar 2012 18:49:58 GMT",
          "Wed, 29 Feb 2013 18:49:58 GMT", "Wed, 29 Feb 2012 18:49:58 GMT", "Wed, 07 Mar 2012 18:49:58 GMT ", " Wed, 07 Mar 2012 18:49:58 GMT",
          "Wed, 07 Mar 12 18:49:58 GMT", "Wed, 07 Mar 02012 18:49:58 GMT", "Wed, 07 Mar 2012 8:49:58 GMT", "Wed, 07 Mar 2012 18:9:58 GMT",
          "Wed, 07 Mar 2012 18:49:5 GMT", "Wednesday, 07 Mar 2012 18:49:58 GMT", "Wed, 07 March 2012 18:49:58 GMT", "07 Mar 2012 18:49:58 GMT",
          "Wed, 07 Mar 2012 18:49:58", "Wed, 007 Mar 2012 18:49:58 GMT", "Wed,  07 Mar 2012 18:49:58 GMT", "Wed, 07  Mar 2012 18:49:58 GMT",
          "Wed, 07 Mar 2012 18:49:58 GMTx", "Wed, 07 Mar 1969 18:49:58 GMT", "Wed, 07 Mar 0001 18:49:58 GMT", "Wed, 07 Mar 9999 18:49:58 GMT",
          "Wed, 07 Mar 2012 18:49:58.5 GMT", "Wed, +7 Mar 2012 18:49:58 GMT", "Wed, 31 Apr 2012 18:49:58 GMT"] {
    print("\(c.debugDescription) -> \(parseDate(c).map(String.init) ?? "nil")")
}
