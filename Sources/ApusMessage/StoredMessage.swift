// StoredMessage: the commit-log record (§4.1, v1, IPv4 hosts) — what the store appends and what a pull body carries.
import Glibc
import NIOCore

/// Everything of a message to append except offsets and store time. The caller fills tagsCode (TagsCode.of(TAGS)).
public struct MessageToStore: Sendable {
    public var topic: String
    public var queueId: Int32
    public var flag: Int32
    public var body: ByteBuffer
    public var properties: String
    public var sysFlag: Int32
    public var bornTimestamp: Int64
    public var bornHost: HostAddress
    public var storeHost: HostAddress
    public var reconsumeTimes: Int32
    public var preparedTransactionOffset: Int64
    public var tagsCode: Int64

    public init(topic: String, queueId: Int32, flag: Int32 = 0, body: ByteBuffer, properties: String, sysFlag: Int32 = 0,
                bornTimestamp: Int64, bornHost: HostAddress, storeHost: HostAddress, reconsumeTimes: Int32 = 0,
                preparedTransactionOffset: Int64 = 0, tagsCode: Int64) {
        self.topic = topic
        self.queueId = queueId
        self.flag = flag
        self.body = body
        self.properties = properties
        self.sysFlag = sysFlag
        self.bornTimestamp = bornTimestamp
        self.bornHost = bornHost
        self.storeHost = storeHost
        self.reconsumeTimes = reconsumeTimes
        self.preparedTransactionOffset = preparedTransactionOffset
        self.tagsCode = tagsCode
    }
}

public struct StoredMessage: Sendable, Equatable {
    public var totalSize: Int32
    public var bodyCRC: Int32
    public var queueId: Int32
    public var flag: Int32
    public var queueOffset: Int64
    public var physicalOffset: Int64
    public var sysFlag: Int32
    public var bornTimestamp: Int64
    public var bornHost: HostAddress
    public var storeTimestamp: Int64
    public var storeHost: HostAddress
    public var reconsumeTimes: Int32
    public var preparedTransactionOffset: Int64
    /// From `decodeAll`, a slice of the pull body it was read from (which it keeps alive), not a copy.
    public var body: ByteBuffer
    public var topic: String
    public var properties: String

    public init(totalSize: Int32, bodyCRC: Int32, queueId: Int32, flag: Int32, queueOffset: Int64, physicalOffset: Int64,
                sysFlag: Int32, bornTimestamp: Int64, bornHost: HostAddress, storeTimestamp: Int64, storeHost: HostAddress,
                reconsumeTimes: Int32, preparedTransactionOffset: Int64, body: ByteBuffer, topic: String, properties: String) {
        self.totalSize = totalSize
        self.bodyCRC = bodyCRC
        self.queueId = queueId
        self.flag = flag
        self.queueOffset = queueOffset
        self.physicalOffset = physicalOffset
        self.sysFlag = sysFlag
        self.bornTimestamp = bornTimestamp
        self.bornHost = bornHost
        self.storeTimestamp = storeTimestamp
        self.storeHost = storeHost
        self.reconsumeTimes = reconsumeTimes
        self.preparedTransactionOffset = preparedTransactionOffset
        self.body = body
        self.topic = topic
        self.properties = properties
    }

    public var propertyMap: [String: String] { MessagePropertyCodec.decode(properties) }

    public var offsetMessageId: String {
        MessageId.offsetMessageId(storeHost: storeHost, commitLogOffset: physicalOffset)
    }
}

/// Record layout (all big-endian, IPv4 hosts):
///
///     offset size field
///      0     4   TOTALSIZE            = 91 + bodyLen + topicLen + propertiesLen
///      4     4   MAGICCODE            0xDAA320A7 (0xCBD43194 for end-of-segment filler, then only TOTALSIZE matters)
///      8     4   BODYCRC              crc32(body) & 0x7FFFFFFF
///     12     4   QUEUEID
///     16     4   FLAG
///     20     8   QUEUEOFFSET          logical offset in the consume queue
///     28     8   PHYSICALOFFSET       commit-log offset of this record
///     36     4   SYSFLAG
///     40     8   BORNTIMESTAMP        ms
///     48     4   BORNHOST ip          network order
///     52     4   BORNHOST port
///     56     8   STORETIMESTAMP       ms
///     64     4   STOREHOST ip         network order
///     68     4   STOREHOST port
///     72     4   RECONSUMETIMES
///     76     8   PREPARED_TRANSACTION_OFFSET
///     84     4   BODYLEN
///     88     n   BODY
///     88+n   1   TOPICLEN             ≤ 127
///     89+n   t   TOPIC                UTF-8
///     89+n+t 2   PROPERTIESLEN        ≤ 32767
///     91+n+t p   PROPERTIES           §4.4
public enum StoredMessageCodec {
    public static let magicCode: Int32 = -626843481
    public static let blankMagicCode: Int32 = -875286124
    public static let fixedLength = 91
    public static let maxTopicLength = 127
    public static let maxPropertiesLength = Int(Int16.max)

    public static func recordLength(bodyLength: Int, topicLength: Int, propertiesLength: Int) -> Int {
        fixedLength + bodyLength + topicLength + propertiesLength
    }

    /// Writes one record at `destination` (caller guarantees room) and returns its length. BODYCRC = crc32 & 0x7FFFFFFF.
    /// Precondition: topic ≤ 127 UTF-8 bytes and properties ≤ 32767 bytes.
    public static func encode(_ message: borrowing MessageToStore, queueOffset: Int64, physicalOffset: Int64, storeTimestamp: Int64,
                              into destination: UnsafeMutableRawPointer) -> Int {
        // Borrowed, the message's topic, properties and body are read without a retain and a release each, which
        // reading them through a pointer cost (the pointee might change during the calls below).
        message.topic.withContiguousUTF8 { topicBytes in
            message.properties.withContiguousUTF8 { propertyBytes in
                encode(message, topicBytes, propertyBytes, queueOffset: queueOffset, physicalOffset: physicalOffset,
                       storeTimestamp: storeTimestamp, into: destination)
            }
        }
    }

    @inline(__always)
    private static func encode(_ message: borrowing MessageToStore, _ topicBytes: UnsafeBufferPointer<UInt8>,
                               _ propertyBytes: UnsafeBufferPointer<UInt8>, queueOffset: Int64, physicalOffset: Int64,
                               storeTimestamp: Int64, into destination: UnsafeMutableRawPointer) -> Int {
        message.body.withUnsafeReadableBytes { body in
            let length = recordLength(bodyLength: body.count, topicLength: topicBytes.count, propertiesLength: propertyBytes.count)
            var w = RawWriter(destination)
            w.put(Int32(length))
            w.put(magicCode)
            w.put(Int32(bitPattern: CRC32.checksum(body) & 0x7FFF_FFFF))
            w.put(message.queueId)
            w.put(message.flag)
            w.put(queueOffset)
            w.put(physicalOffset)
            w.put(message.sysFlag)
            w.put(message.bornTimestamp)
            w.put(message.bornHost.ipv4)
            w.put(message.bornHost.port)
            w.put(storeTimestamp)
            w.put(message.storeHost.ipv4)
            w.put(message.storeHost.port)
            w.put(message.reconsumeTimes)
            w.put(message.preparedTransactionOffset)
            w.put(Int32(body.count))
            w.put(body)
            w.put(UInt8(topicBytes.count))
            w.put(UnsafeRawBufferPointer(topicBytes))
            w.put(Int16(propertyBytes.count))
            w.put(UnsafeRawBufferPointer(propertyBytes))
            return length
        }
    }

    public static func encode(_ m: MessageToStore, queueOffset: Int64, physicalOffset: Int64, storeTimestamp: Int64) -> [UInt8] {
        let length = recordLength(bodyLength: m.body.readableBytes, topicLength: m.topic.utf8.count,
                                  propertiesLength: m.properties.utf8.count)
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            initialized = encode(m, queueOffset: queueOffset, physicalOffset: physicalOffset, storeTimestamp: storeTimestamp,
                                 into: UnsafeMutableRawPointer(buffer.baseAddress!))
        }
    }

    public enum DecodeOutcome: Sendable, Equatable {
        case message(StoredMessage, length: Int)
        case blank(length: Int)
        case corrupt
        case needMoreData
    }

    /// Decodes the record at the start of `bytes`. Never traps: bad magic or inconsistent lengths are `.corrupt`,
    /// a record longer than `bytes` is `.needMoreData`, as is an all-zero TOTALSIZE (unwritten space).
    /// The body is copied out of `bytes`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, verifyCRC: Bool) -> DecodeOutcome {
        decode(bytes, verifyCRC: verifyCRC, topicOfPrevious: nil) { ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: bytes[$0])) }
    }

    /// `topicOfPrevious`: the topic of the record before, whose string is shared when this record's topic is the same
    /// (the records of a pull almost always are of one topic). `body` makes the body of the bytes at a range of `bytes`.
    @inline(__always)
    static func decode(_ bytes: UnsafeRawBufferPointer, verifyCRC: Bool, topicOfPrevious: String?,
                       body makeBody: (Range<Int>) -> ByteBuffer) -> DecodeOutcome {
        var r = ByteReader(bytes)
        guard let totalSize = r.int32(), let magic = r.int32() else { return .needMoreData }
        if magic == blankMagicCode { return totalSize >= 8 ? .blank(length: Int(totalSize)) : .corrupt }
        guard magic == magicCode else { return totalSize == 0 && magic == 0 ? .needMoreData : .corrupt }
        guard totalSize >= Int32(fixedLength) else { return .corrupt }
        guard Int(totalSize) <= bytes.count else { return .needMoreData }
        r = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<Int(totalSize)]))
        _ = r.skip(8)
        guard let bodyCRC = r.int32(), let queueId = r.int32(), let flag = r.int32(), let queueOffset = r.int64(),
              let physicalOffset = r.int64(), let sysFlag = r.int32(), let bornTimestamp = r.int64(),
              let bornIP = r.integer(UInt32.self), let bornPort = r.int32(), let storeTimestamp = r.int64(),
              let storeIP = r.integer(UInt32.self), let storePort = r.int32(), let reconsumeTimes = r.int32(),
              let preparedOffset = r.int64(), let bodyLength = r.int32(), bodyLength >= 0, case let bodyStart = r.position,
              let body = r.bytes(Int(bodyLength)),
              let topicLength = r.uint8(), topicLength <= 127, let topic = r.bytes(Int(topicLength)),
              let propertiesLength = r.int16(), propertiesLength >= 0, let properties = r.bytes(Int(propertiesLength)),
              r.remaining == 0
        else { return .corrupt }
        if verifyCRC && Int32(bitPattern: CRC32.checksum(body) & 0x7FFF_FFFF) != bodyCRC { return .corrupt }
        let message = StoredMessage(
            totalSize: totalSize, bodyCRC: bodyCRC, queueId: queueId, flag: flag, queueOffset: queueOffset,
            physicalOffset: physicalOffset, sysFlag: sysFlag, bornTimestamp: bornTimestamp,
            bornHost: HostAddress(ipv4: bornIP, port: bornPort), storeTimestamp: storeTimestamp,
            storeHost: HostAddress(ipv4: storeIP, port: storePort), reconsumeTimes: reconsumeTimes,
            preparedTransactionOffset: preparedOffset, body: makeBody(bodyStart..<bodyStart + body.count),
            topic: sameText(topicOfPrevious, topic) ?? String(decoding: topic, as: UTF8.self),
            properties: String(decoding: properties, as: UTF8.self))
        return .message(message, length: Int(totalSize))
    }

    /// Decodes a pull body (records back to back); stops at the first record that is not a complete message. Each
    /// body is a slice of `buffer`, not a copy.
    public static func decodeAll(_ buffer: ByteBuffer) -> [StoredMessage] { decodeAll(buffer, topic: nil) }

    /// `decodeAll(_:)` of a body whose records are expected to be of `topic` (the pulled queue's): the first record
    /// shares its string when it matches, as later records share the one before's (a string made for each pull of one
    /// message was an allocation before the listener).
    public static func decodeAll(_ buffer: ByteBuffer, topic: String?) -> [StoredMessage] {
        buffer.withUnsafeReadableBytes { bytes in
            var messages: [StoredMessage] = []
            var offset = 0
            while offset < bytes.count,
                  case .message(let message, let length) = decode(UnsafeRawBufferPointer(rebasing: bytes[offset...]), verifyCRC: false,
                                                                  topicOfPrevious: messages.last?.topic ?? topic, body: { [offset] range in
                                                                      buffer.getSlice(at: buffer.readerIndex + offset + range.lowerBound,
                                                                                      length: range.count)!
                                                                  }) {
                messages.append(message)
                offset += length
            }
            return messages
        }
    }

    /// `text` when its UTF-8 is exactly `bytes`.
    private static func sameText(_ text: String?, _ bytes: UnsafeRawBufferPointer) -> String? {
        guard let text, text.utf8.count == bytes.count else { return nil }
        guard !bytes.isEmpty, let start = bytes.baseAddress else { return text }
        let same = text.withContiguousUTF8 { memcmp($0.baseAddress!, start, bytes.count) == 0 }
        return same ? text : nil
    }
}

/// Sequential big-endian writer into raw memory the caller has sized.
struct RawWriter {
    var pointer: UnsafeMutableRawPointer

    init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    @inline(__always)
    mutating func put<T: FixedWidthInteger>(_ value: T) {
        pointer.storeBytes(of: value.bigEndian, as: T.self)
        pointer += MemoryLayout<T>.size
    }

    @inline(__always)
    mutating func put(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        pointer.copyMemory(from: base, byteCount: bytes.count)
        pointer += bytes.count
    }
}
