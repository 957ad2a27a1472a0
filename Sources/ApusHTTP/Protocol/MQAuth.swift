// Authentication and authorisation for the ApsaraMQ HTTP API (http-api.md §5): the HMAC-SHA1 signature over the
// string-to-sign (raw request-target, never re-encoded), and accounts in RocketMQ's plain_acl.yml format
// (accessKey, secretKey, admin, defaultTopicPerm/defaultGroupPerm, topicPerms/groupPerms, whiteRemoteAddress,
// globalWhiteRemoteAddresses) or the broker.conf `accessKey=`/`secretKey=` admin shortcut.

import Crypto
import Foundation
import Yams

public enum MQSignature {
    /// §5.1: METHOD, Content-MD5, Content-Type, Date, the sorted `x-mq-*` headers, then the raw request-target.
    /// `headers` are (name, value) as received; names are matched ignoring ASCII case (they are HTTP tokens).
    public static func stringToSign(method: String, target: String, headers: [(String, String)]) -> String {
        String(decoding: stringToSignUTF8(method: method, target: target, headers: headers), as: UTF8.self)
    }

    /// `stringToSign` as bytes, in one pass over the headers: lowercasing every name for each lookup and joining
    /// strings piece by piece took some 17,500 instructions a request.
    static func stringToSignUTF8(method: String, target: String, headers: [(String, String)]) -> [UInt8] {
        var md5: String?, type: String?, date: String?
        var mq: [(name: [UInt8], value: String)] = []
        for (name, value) in headers {
            if md5 == nil, MQHeaders.name(name, is: "content-md5") {
                md5 = value
            } else if type == nil, MQHeaders.name(name, is: "content-type") {
                type = value
            } else if date == nil, MQHeaders.name(name, is: "date") {
                date = value
            } else if MQHeaders.name(name, hasPrefix: "x-mq-") {
                mq.append((name.utf8.map(MQHeaders.lowercasedASCII), value))
            }
        }
        mq.sort { $0.name.lexicographicallyPrecedes($1.name) }
        var out: [UInt8] = []
        out.reserveCapacity(128 + target.utf8.count + mq.reduce(0) { $0 + $1.name.count + $1.value.utf8.count + 2 })
        out.append(contentsOf: method.utf8.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 0x20 : $0 })
        for field in [md5, type, date] {
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: (field ?? "").utf8)
        }
        out.append(UInt8(ascii: "\n"))
        for (name, value) in mq {
            out.append(contentsOf: name)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(contentsOf: target.utf8)
        return out
    }

    /// Base64(HMAC-SHA1(secret, stringToSign)).
    public static func sign(_ stringToSign: String, secret: String) -> String {
        MQSigner(secret: secret).sign(Array(stringToSign.utf8))
    }

    /// Splits `MQ <AccessKeyId>:<Signature>` at the last `:` (§5.2), the key trimmed of white space. Read as bytes:
    /// `String`'s `lastIndex(of:)` and Foundation's trimming took 20,500 instructions on every signed request.
    public static func parseAuthorization(_ value: String) throws(MQError) -> (accessKey: String, signature: String) {
        var value = value
        let parts = value.withUTF8 { bytes -> (key: String, signature: String)? in
            guard bytes.count > 3, bytes[0] == UInt8(ascii: "M"), bytes[1] == UInt8(ascii: "Q"), bytes[2] == UInt8(ascii: " "),
                  let colon = bytes.lastIndex(of: UInt8(ascii: ":")) else { return nil }
            return (String(decoding: UnsafeBufferPointer(rebasing: bytes[3..<colon]), as: UTF8.self),
                    String(decoding: UnsafeBufferPointer(rebasing: bytes[(colon + 1)...]), as: UTF8.self))
        }
        guard var key = parts?.key, let signature = parts?.signature else {
            throw MQError(.invalidAuthorizationHeader, "the Authorization header must be 'MQ <AccessKeyId>:<Signature>'")
        }
        // Only a key that starts or ends with white space or a non-ASCII byte can need trimming.
        func plain(_ b: UInt8?) -> Bool { b.map { $0 > 0x20 && $0 < 0x7F } ?? true }
        if !plain(key.utf8.first) || !plain(key.utf8.last) { key = key.trimmingCharacters(in: .whitespaces) }
        guard !key.isEmpty, !signature.isEmpty else {
            throw MQError(.invalidAuthorizationHeader, "the Authorization header must be 'MQ <AccessKeyId>:<Signature>'")
        }
        return (key, signature)
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                var diff = UInt8(x.count == y.count ? 0 : 1)
                for i in 0..<min(x.count, y.count) { diff |= x[i] ^ y[i] }
                return diff == 0
            }
        }
    }

    /// `Www, DD Mon YYYY HH:MM:SS GMT` (RFC 1123, as every SDK writes it) as epoch seconds; nil for anything else.
    /// Read by hand: a `DateFormatter` made per request took 165 µs, more than the rest of a publish, on every signed
    /// request. Names are matched in either case and the weekday is not checked against the date (as ICU's parser did);
    /// a day or time field may have one digit; the zone must be `GMT`.
    public static func parseDate(_ text: String) -> Int64? {
        var bytes = Array(text.utf8)[...]
        while bytes.first == UInt8(ascii: " ") { bytes.removeFirst() }
        while bytes.last == UInt8(ascii: " ") { bytes.removeLast() }
        /// The index of the three-letter name (either case) at the front in `names`, lowercase names back to back.
        func word(_ names: StaticString) -> Int? {
            guard bytes.count >= 3 else { return nil }
            let found = bytes.prefix(3).map(MQHeaders.lowercasedASCII)
            for index in 0..<names.utf8CodeUnitCount / 3
            where (0..<3).allSatisfy({ names.utf8Start[3 * index + $0] == found[$0] }) {
                bytes.removeFirst(3)
                return index
            }
            return nil
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
        guard word("sunmontuewedthufrisat") != nil, literal(", "),
              let day = number(digits: 1...2), literal(" "),
              let month = word("janfebmaraprmayjunjulaugsepoctnovdec"),
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
    public var secretKey: String { didSet { signer = MQSigner(secret: secretKey) } }
    /// Signs with `secretKey`.
    public private(set) var signer: MQSigner
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
        signer = MQSigner(secret: secretKey)
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

/// HMAC-SHA1 with one account's secret, its key schedule done once: making it per request (`HMAC(key:)`: the padded
/// key and two hashes of it) took 13,300 instructions of every signed request. Copies share the prepared state
/// until they are fed (the hash contexts are copied on write).
public struct MQSigner: Sendable, Equatable {
    public let secret: String
    private let prepared: HMAC<Insecure.SHA1>

    public init(secret: String) {
        self.secret = secret
        prepared = HMAC(key: SymmetricKey(data: Array(secret.utf8)))
    }

    /// Base64 of the MAC of `message`.
    public func sign(_ message: [UInt8]) -> String {
        var mac = prepared
        message.withUnsafeBytes { mac.update(data: $0) }
        return Data(mac.finalize()).base64EncodedString()
    }

    public static func == (a: Self, b: Self) -> Bool { a.secret == b.secret }
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
        func header(_ name: StaticString) -> String? { headers.first { MQHeaders.name($0.0, is: name) }?.1 }
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
            let expected = account.signer.sign(MQSignature.stringToSignUTF8(method: method, target: target, headers: headers))
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
