// StoreConfig and the result types of the MessageStore API.
import NIOCore

public enum FlushDiskType: String, Sendable {
    case asyncFlush = "ASYNC_FLUSH"
    case syncFlush = "SYNC_FLUSH"
}

public struct StoreConfig: Sendable {
    public var rootDir: String
    public var mappedFileSizeCommitLog: Int = 1 << 30
    public var consumeQueueEntriesPerFile: Int = 300_000
    public var flushDiskType: FlushDiskType = .asyncFlush
    public var flushIntervalMillis: Int = 500
    public var syncFlushTimeoutMillis: Int = 5_000
    public var fileReservedTimeHours: Int = 72
    public var maxMessageSize: Int = 4 * 1024 * 1024
    public var indexSlotCount: Int = 500_000
    public var indexEntryCount: Int = 2_000_000

    public init(rootDir: String) {
        self.rootDir = rootDir
    }
}

public enum PutStatus: Sendable, Equatable {
    case ok
    case messageIllegal(String)
    case serviceNotAvailable(String)
}

public struct AppendedRecord: Sendable {
    public var queueOffset: Int64
    public var physicalOffset: Int64
    public var size: Int32
    public var storeTimestamp: Int64
}

public struct PutResult: Sendable {
    public var status: PutStatus
    public var records: [AppendedRecord]
    /// Commit-log offset just past the last appended record (pass it to `whenFlushed(upTo:)`).
    public var endOffset: Int64
}

public enum GetMessageStatus: Sendable {
    case found, noMatchedMessage, messageWasRemoving, offsetFoundNull, offsetOverflowBadly, offsetOverflowOne,
         offsetTooSmall, noMatchedLogicQueue, noMessageInQueue
}

public struct GetMessageResult: Sendable {
    public var status: GetMessageStatus
    public var nextBeginOffset: Int64
    public var minOffset: Int64
    public var maxOffset: Int64
    public var messageCount: Int
    public var body: ByteBuffer?
}
