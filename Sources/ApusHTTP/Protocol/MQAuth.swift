// Authentication and authorisation for the ApsaraMQ HTTP API (http-api.md §5): the HMAC-SHA1 signature over the
// string-to-sign (raw request-target, never re-encoded), and accounts in RocketMQ's plain_acl.yml format
// (accessKey, secretKey, admin, defaultTopicPerm/defaultGroupPerm, topicPerms/groupPerms, whiteRemoteAddress,
// globalWhiteRemoteAddresses) or the broker.conf `accessKey=`/`secretKey=` admin shortcut.

import Crypto
import Foundation
import Yams

public enum MQSignature {
    /// §5.1: METHOD, Content-MD5, Content-Type, Date, the sorted `x-mq-*` headers, then the raw request-target.
    /// `headers` are (name, value) as received; names are matched case-insensitively.
    public static func stringToSign(method: String, target: String, headers: [(String, String)]) -> String {
        func header(_ name: String) -> String { headers.first { $0.0.lowercased() == name }?.1 ?? "" }
        var out = method.uppercased() + "\n" + header("content-md5") + "\n" + header("content-type") + "\n" + header("date") + "\n"
        let mq = headers.map { ($0.0.lowercased(), $0.1) }.filter { $0.0.hasPrefix("x-mq-") }.sorted { $0.0 < $1.0 }
        for (name, value) in mq { out += name + ":" + value + "\n" }
        return out + target
    }

    /// Base64(HMAC-SHA1(secret, stringToSign)).
    public static func sign(_ stringToSign: String, secret: String) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Splits `MQ <AccessKeyId>:<Signature>` at the last `:` (§5.2).
    public static func parseAuthorization(_ value: String) throws(MQError) -> (accessKey: String, signature: String) {
        guard value.hasPrefix("MQ "), let colon = value.lastIndex(of: ":") else {
            throw MQError(.invalidAuthorizationHeader, "the Authorization header must be 'MQ <AccessKeyId>:<Signature>'")
        }
        let key = String(value[value.index(value.startIndex, offsetBy: 3)..<colon]).trimmingCharacters(in: .whitespaces)
        let signature = String(value[value.index(after: colon)...])
        guard !key.isEmpty, !signature.isEmpty else {
            throw MQError(.invalidAuthorizationHeader, "the Authorization header must be 'MQ <AccessKeyId>:<Signature>'")
        }
        return (key, signature)
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<min(x.count, y.count) { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// `Www, DD Mon YYYY HH:MM:SS GMT` (RFC 1123, as every SDK writes it) as epoch seconds; nil for anything else.
    /// Read by hand: a `DateFormatter` made per request took 165 µs, more than the rest of a publish, on every signed
    /// request. Names are matched in either case and the weekday is not checked against the date (as ICU's parser did);
    /// a day or time field may have one digit; the zone must be `GMT`.
    public static func parseDate(_ text: String) -> Int64? {
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
}

/// RocketMQ's ACL permissions (DENY, ANY, PUB, SUB; `PUB|SUB`).
public struct ACLPerm: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let deny = ACLPerm(rawValue: 1)
    public static let any = ACLPerm(rawValue: 2)
    public static let pub = ACLPerm(rawValue: 4)
    public static let sub = ACLPerm(rawValue: 8)

    /// `DENY`, `ANY`, `PUB`, `SUB`, `PUB|SUB`; anything else is DENY (as RocketMQ parses it).
    public static func parse(_ text: String?) -> ACLPerm {
        guard let text, !text.isEmpty else { return .deny }
        var perm: ACLPerm = []
        for part in text.split(separator: "|") {
            switch part.trimmingCharacters(in: .whitespaces).uppercased() {
            case "PUB": perm.insert(.pub)
            case "SUB": perm.insert(.sub)
            case "ANY": perm.insert(.any)
            default: return .deny
            }
        }
        return perm.isEmpty ? .deny : perm
    }

    /// Whether an owned permission grants `needed` (PUB or SUB).
    public func grants(_ needed: ACLPerm) -> Bool {
        if contains(.deny) { return false }
        if contains(.any) { return true }
        return !intersection(needed).isEmpty
    }
}

public struct ACLAccount: Sendable, Equatable {
    public var accessKey: String
    public var secretKey: String
    public var admin: Bool
    public var whiteRemoteAddress: String?
    public var defaultTopicPerm: ACLPerm
    public var defaultGroupPerm: ACLPerm
    public var topicPerms: [String: ACLPerm]
    public var groupPerms: [String: ACLPerm]

    public init(accessKey: String, secretKey: String, admin: Bool, whiteRemoteAddress: String? = nil,
                defaultTopicPerm: ACLPerm = .deny, defaultGroupPerm: ACLPerm = .deny,
                topicPerms: [String: ACLPerm] = [:], groupPerms: [String: ACLPerm] = [:]) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.admin = admin
        self.whiteRemoteAddress = whiteRemoteAddress
        self.defaultTopicPerm = defaultTopicPerm
        self.defaultGroupPerm = defaultGroupPerm
        self.topicPerms = topicPerms
        self.groupPerms = groupPerms
    }

    /// An admin may do anything; otherwise the resource's own entry (the stored, instance-scoped name first, then
    /// the bare name) or the default must grant `needed`.
    public func may(_ needed: ACLPerm, topic: String? = nil, scopedTopic: String? = nil,
                    group: String? = nil, scopedGroup: String? = nil) -> Bool {
        if admin { return true }
        if let topic {
            let owned = scopedTopic.flatMap { topicPerms[$0] } ?? topicPerms[topic] ?? defaultTopicPerm
            guard owned.grants(needed) else { return false }
        }
        if let group {
            let owned = scopedGroup.flatMap { groupPerms[$0] } ?? groupPerms[group] ?? defaultGroupPerm
            guard owned.grants(.sub) else { return false }
        }
        return true
    }
}

public struct ACLError: Error, CustomStringConvertible {
    public var description: String
}

/// The accounts and global white list; `enabled` false accepts any (or no) credentials.
public struct ACLConfig: Sendable, Equatable {
    public var enabled: Bool
    public var accounts: [String: ACLAccount]
    public var globalWhiteRemoteAddresses: [String]

    public init(enabled: Bool, accounts: [ACLAccount] = [], globalWhiteRemoteAddresses: [String] = []) {
        self.enabled = enabled
        self.accounts = Dictionary(accounts.map { ($0.accessKey, $0) }, uniquingKeysWith: { _, b in b })
        self.globalWhiteRemoteAddresses = globalWhiteRemoteAddresses
    }

    public static let disabled = ACLConfig(enabled: false)

    /// Parses RocketMQ's plain_acl.yml.
    public static func parsePlainACL(_ yaml: String) throws -> (accounts: [ACLAccount], globalWhite: [String]) {
        guard let root = try Yams.load(yaml: yaml) else { return ([], []) }
        guard let map = root as? [String: Any] else { throw ACLError(description: "the ACL file is not a YAML mapping") }
        func strings(_ value: Any?) -> [String] {
            if let list = value as? [Any] { return list.map { "\($0)" } }
            if let one = value, !(one is NSNull) { return ["\(one)"] }
            return []
        }
        func perms(_ value: Any?) throws -> [String: ACLPerm] {
            var out: [String: ACLPerm] = [:]
            for entry in strings(value) {
                guard let eq = entry.firstIndex(of: "=") else { throw ACLError(description: "ACL permission '\(entry)' is not name=PERM") }
                out[String(entry[..<eq]).trimmingCharacters(in: .whitespaces)] = ACLPerm.parse(String(entry[entry.index(after: eq)...]))
            }
            return out
        }
        var accounts: [ACLAccount] = []
        for (index, item) in ((map["accounts"] as? [Any]) ?? []).enumerated() {
            guard let a = item as? [String: Any] else { throw ACLError(description: "ACL account \(index + 1) is not a mapping") }
            guard let key = a["accessKey"].map({ "\($0)" }), !key.isEmpty,
                  let secret = a["secretKey"].map({ "\($0)" }), !secret.isEmpty else {
                throw ACLError(description: "ACL account \(index + 1) needs accessKey and secretKey")
            }
            let admin: Bool
            switch a["admin"] {
            case let b as Bool: admin = b
            case let s as String: admin = s.lowercased() == "true"
            default: admin = false
            }
            let white = strings(a["whiteRemoteAddress"]).first.flatMap { $0.isEmpty ? nil : $0 }
            accounts.append(ACLAccount(accessKey: key, secretKey: secret, admin: admin, whiteRemoteAddress: white,
                                       defaultTopicPerm: ACLPerm.parse(a["defaultTopicPerm"].map { "\($0)" }),
                                       defaultGroupPerm: ACLPerm.parse(a["defaultGroupPerm"].map { "\($0)" }),
                                       topicPerms: try perms(a["topicPerms"]), groupPerms: try perms(a["groupPerms"])))
        }
        return (accounts, strings(map["globalWhiteRemoteAddresses"]))
    }

    /// RocketMQ's remote-address patterns: `*`, an exact IP, `a.b.c.*`, `a.b.c.1-10`, `a.b.{1,2}.*` (simplified:
    /// each dotted part is `*`, a number, a range `m-n` or a `{x,y}` list).
    public static func addressMatches(_ pattern: String, _ ip: String) -> Bool {
        let pattern = pattern.trimmingCharacters(in: .whitespaces)
        if pattern == "*" { return true }
        let p = pattern.split(separator: ".").map(String.init), a = ip.split(separator: ".").map(String.init)
        guard p.count == 4, a.count == 4 else { return pattern == ip }
        for (part, value) in zip(p, a) {
            if part == "*" { continue }
            if part.hasPrefix("{"), part.hasSuffix("}") {
                guard part.dropFirst().dropLast().split(separator: ",").contains(where: { $0 == value }) else { return false }
            } else if let dash = part.firstIndex(of: "-"), let lo = Int(part[..<dash]),
                      let hi = Int(part[part.index(after: dash)...]), let v = Int(value) {
                guard (lo...hi).contains(v) else { return false }
            } else if part != value {
                return false
            }
        }
        return true
    }

    /// §5.2 checks and the account's permission. Returns normally when the request may proceed.
    /// `needed` is PUB for publish, SUB for consume/ack; `group` only for consume/ack.
    /// `headers` and `remoteIP` are read only when the ACL is enabled: listing the headers makes a string of every name
    /// and value, and the address's text took 5,700 instructions.
    public func authorize(method: String, target: String, headers listHeaders: @autoclosure () -> [(String, String)],
                          remoteIP peerIP: @autoclosure () -> String?, needed: ACLPerm, topic: String, scopedTopic: String,
                          group: String? = nil, scopedGroup: String? = nil) throws(MQError) {
        guard enabled else { return }
        let remoteIP = peerIP()
        if let ip = remoteIP, globalWhiteRemoteAddresses.contains(where: { Self.addressMatches($0, ip) }) { return }
        let headers = listHeaders()
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
        guard let authorization = header("authorization") else {
            throw MQError(.missingAuthorizationHeader, "the request has no Authorization header")
        }
        let (key, signature) = try MQSignature.parseAuthorization(authorization)
        guard let account = accounts[key] else { throw MQError(.accessDenied, "no account has the AccessKeyId \(key)") }
        let whiteListed = remoteIP.map { ip in account.whiteRemoteAddress.map { Self.addressMatches($0, ip) } ?? false } ?? false
        if !whiteListed {
            guard let date = header("date") else { throw MQError(.missingDateHeader, "the request has no Date header") }
            guard MQSignature.parseDate(date) != nil else {
                throw MQError(.invalidDateHeader, "the Date header is not RFC 1123 GMT: \(date)")
            }
            let expected = MQSignature.sign(MQSignature.stringToSign(method: method, target: target, headers: headers),
                                            secret: account.secretKey)
            guard MQSignature.constantTimeEquals(expected, signature) else {
                throw MQError(.signatureDoesNotMatch, "the request signature we calculated does not match the signature you provided")
            }
        }
        guard account.may(needed, topic: topic, scopedTopic: scopedTopic, group: group, scopedGroup: scopedGroup) else {
            let what = group.map { "topic \(topic) / group \($0)" } ?? "topic \(topic)"
            throw MQError(.accessDenied, "the account \(key) has no \(needed.contains(.pub) ? "PUB" : "SUB") permission on \(what)")
        }
    }
}

extension ACLConfig {
    /// The HTTP API's ACL from broker settings: `aclEnable`, the accounts of `aclFile` (plain_acl.yml) and the
    /// `accessKey`/`secretKey` admin shortcut.
    public static func load(aclEnable: Bool, aclFile: String?, accessKey: String?, secretKey: String?) throws -> ACLConfig {
        var accounts: [ACLAccount] = []
        var white: [String] = []
        if let aclFile {
            let text: String
            do { text = try String(contentsOfFile: aclFile, encoding: .utf8) } catch {
                throw ACLError(description: "aclFile \(aclFile): cannot be read (\(error.localizedDescription))")
            }
            do { (accounts, white) = try parsePlainACL(text) } catch {
                throw ACLError(description: "aclFile \(aclFile): \(error)")
            }
        }
        if let accessKey, let secretKey {
            accounts.append(ACLAccount(accessKey: accessKey, secretKey: secretKey, admin: true))
        } else if accessKey != nil || secretKey != nil {
            throw ACLError(description: "accessKey and secretKey must be set together")
        }
        if aclEnable, accounts.isEmpty, white.isEmpty {
            throw ACLError(description: "aclEnable=true needs accounts: set aclFile or accessKey/secretKey")
        }
        return ACLConfig(enabled: aclEnable, accounts: accounts, globalWhiteRemoteAddresses: white)
    }
}
