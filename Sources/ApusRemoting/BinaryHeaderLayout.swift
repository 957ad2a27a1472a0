// BinaryHeaderLayout: a request's binary header with its per-request values left out, which the pre-encoded frame
// templates (SendFrameTemplate, PullFrameTemplate) are built from.

/// A request's binary (ROCKETMQ, spec §1.3) header as a template writes it: code, language, version, opaque, flag,
/// remark length (0), ext-field length, then each field of `forEachField` as key length, key, value length, value.
/// `bytes` leaves out the opaque, the ext-field length and each per-request value (its length word included); the
/// offsets say where in `bytes` each of them goes.
struct BinaryHeaderLayout {
    private(set) var bytes: [UInt8] = []
    private(set) var opaqueAt = 0
    private(set) var extFieldsAt = 0
    /// Where each per-request value goes, by key.
    private(set) var valueAt: [String: Int] = [:]

    init(code: RequestCode, perRequest: Set<String>, fields forEachField: ((String, HeaderFieldValue) -> Void) -> Void) {
        integer(Int16(truncatingIfNeeded: code.rawValue))
        integer(LanguageCode.ordinal(RemotingCommand.defaultLanguage))
        integer(Int16(truncatingIfNeeded: RemotingCommand.defaultVersion))
        opaqueAt = bytes.count
        integer(Int32(0))  // flag
        integer(Int32(0))  // remark length
        extFieldsAt = bytes.count
        forEachField { key, value in
            integer(Int16(truncatingIfNeeded: key.utf8.count))
            bytes.append(contentsOf: key.utf8)
            if perRequest.contains(key) {
                valueAt[key] = bytes.count
                return
            }
            let text = Array(value.text.utf8)
            integer(Int32(text.count))
            bytes.append(contentsOf: text)
        }
    }

    private mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
