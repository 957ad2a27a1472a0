import Foundation
    func parseDate(_ text: String) -> Int64? {
        var bytes = Array(text.utf8)[...]
        while bytes.first == UInt8(ascii: " ") { bytes.removeFirst() }
        while bytes.last == UInt8(ascii: " ") { bytes.removeLast() }
        func word(_ names: [String]) -> Int? {
            guard bytes.count >= 3 else { return nil }
            let found = String(decoding: bytes.prefix(3), as: UTF8.self).lowercased()
            guard let index = names.firstIndex(of: found) else { return nil }
            bytes.removeFirst(3)
            return index
        }
        func literal(_ text: String) -> Bool {
            guard bytes.starts(with: text.utf8) else { return false }
            bytes.removeFirst(text.utf8.count)
            return true
        }
        func number(digits: ClosedRange<Int>) -> Int? {
            var value = 0, count = 0
            while let b = bytes.first, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9"), count < digits.upperBound {
                value = value * 10 + Int(b - UInt8(ascii: "0"))
                count += 1
                bytes.removeFirst()
            }
            return digits.contains(count) ? value : nil
        }
        guard word(["sun", "mon", "tue", "wed", "thu", "fri", "sat"]) != nil, literal(", "),
              let day = number(digits: 1...2), literal(" "),
              let month = word(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
              literal(" "), let year = number(digits: 4...4), literal(" "),
              let hour = number(digits: 1...2), literal(":"), let minute = number(digits: 1...2), literal(":"),
              let second = number(digits: 1...2), literal(" GMT"), bytes.isEmpty,
              hour < 24, minute < 60, second < 60 else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...monthDays[month]).contains(day) else { return nil }
        // Days since 1970-01-01 of a proleptic Gregorian date (March-based years, so February ends a year).
        let y = month < 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 10) % 12) + 2) / 5 + day - 1  // `month` counts from 0
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

var s: Int64 = 0
let t0 = DispatchTime.now().uptimeNanoseconds
for i in 0..<200000 { s &+= parseDate(i % 2 == 0 ? "Wed, 07 Mar 2012 18:49:58 GMT" : "Thu, 08 Mar 2012 18:49:58 GMT") ?? 0 }
let t1 = DispatchTime.now().uptimeNanoseconds
print("ns per parse:", (t1 - t0) / 200000, s)
