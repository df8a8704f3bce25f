// The traced side of each export thunk (EntryPoints.swift). A thunk whose
// first load finds tracing on hands its call here, as a closure taking the
// lpErrno to use: the call runs with an error slot of its own, so the line
// can name the error even when the caller passed no lpErrno, and the code is
// then stored for the caller exactly as the untraced call would have
// (nothing on success, nothing through a NULL or low lpErrno).
//
// A call is traced when every call is (WS2SPI_TRACE), or when its socket has
// SO_DEBUG. Calls without a socket (WSPStartup, WSPCleanup, WSPSocket, the
// blocking-hook calls) are traced only with WS2SPI_TRACE; WSPSelect also
// when one of its sets names an SO_DEBUG socket. The line is written when
// the call returns: "WSPRecv(s=0x10001, len=4096, flags=MSG_PEEK) -> 0 (bytes=12)".
//
// The bookkeeping of SO_DEBUG that belongs to the boundary is done here
// whether or not the call is traced (this path runs whenever some socket
// has SO_DEBUG): a closed socket is forgotten, the last WSPCleanup forgets
// every socket, an accepted socket inherits its listener's setting.
import CWS2SPI

typealias ErrnoPointer = UnsafeMutablePointer<Int32>?

/// A call's arguments, "name=value" joined by ", ".
struct TraceArguments {
    var text = ""

    mutating func add(_ name: String, _ value: String) {
        if !text.isEmpty { text += ", " }
        text += name
        text += "="
        text += value
    }

    /// Adds a pointer argument only when it is not NULL (optional parameters).
    mutating func addPointer(_ name: String, _ p: UnsafeRawPointer?) {
        if p != nil { add(name, TraceFormat.pointer(p)) }
    }
}

enum Traced {
    typealias F = TraceFormat

    /// Runs `call` with an error slot of its own; the code (0: none) is
    /// stored for the caller as the untraced call would have.
    @inline(__always)
    static func run<T>(_ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> T) -> (T, Int32) {
        var code: Int32 = 0
        let result = withUnsafeMutablePointer(to: &code) { call($0) }
        if code != 0 { store(code, lpErrno) }
        return (result, code)
    }

    static func emit(_ name: StaticString, _ args: TraceArguments, _ result: String) {
        Trace.emit("\(name)(\(args.text)) -> \(result)")
    }

    /// "0 (details)" or "SOCKET_ERROR WSAE...".
    static func statusResult(_ r: Int32, _ code: Int32, _ details: @autoclosure () -> String = "") -> String {
        if r != 0 { return "SOCKET_ERROR " + F.error(code) }
        let d = details()
        return d.isEmpty ? "0" : "0 (\(d))"
    }

    /// An int-returning call on socket `s` with nothing to show afterwards but the status.
    static func simple(_ name: StaticString, _ s: SOCKET, _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32,
                       _ describe: (inout TraceArguments) -> Void) -> Int32 {
        guard Trace.wants(s) else { return call(lpErrno) }
        var args = TraceArguments()
        args.add("s", F.handle(s))
        describe(&args)
        let (r, code) = run(lpErrno, call)
        emit(name, args, statusResult(r, code))
        return r
    }

    // MARK: start-up and clean-up

    static func startup(_ version: WORD, _ data: LPWSADATA?, _ call: () -> Int32) -> Int32 {
        guard Trace.wantsAll else { return call() }
        var args = TraceArguments()
        args.add("version", F.version(version))
        args.add("data", F.pointer(data))
        let r = call()
        var result = r == 0 ? "0" : F.error(r)
        if r == 0, let d = F.readable(data) {
            result += " (version=\(F.version(d.pointee.wVersion)), high=\(F.version(d.pointee.wHighVersion)))"
        }
        emit("WSPStartup", args, result)
        return r
    }

    static func cleanup(_ callback: LPCLEANUPPROC?, _ data: DWORD, _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        let traced = Trace.wantsAll
        var args = TraceArguments()
        if traced {
            args.add("callback", F.pointer(unsafeBitCast(callback, to: UnsafeRawPointer?.self)))
            args.add("data", F.hex(data))
        }
        let (r, code) = run(lpErrno, call)
        if r == 0 && !installedProvider.isStarted { Trace.allSocketsClosed() }
        if traced { emit("WSPCleanup", args, statusResult(r, code)) }
        return r
    }

    // MARK: sockets

    static func socket(_ af: Int32, _ type: Int32, _ proto: Int32, _ providerID: DWORD, _ flags: Int32,
                       _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> SOCKET) -> SOCKET {
        guard Trace.wantsAll else { return call(lpErrno) }
        var args = TraceArguments()
        args.add("af", F.name(Int64(af), in: F.familyNames))
        args.add("type", F.name(Int64(type), in: F.typeNames))
        args.add("protocol", F.name(Int64(proto), in: F.protocolNames))
        if providerID != 0 { args.add("provider", F.hex(providerID)) }
        args.add("flags", F.flags(Int64(flags), F.socketFlagNames))
        let (s, code) = run(lpErrno, call)
        emit("WSPSocket", args, s == invalidSocket ? "INVALID_SOCKET " + F.error(code) : F.handle(s))
        return s
    }

    static func bind(_ s: SOCKET, _ name: UnsafePointer<WS_sockaddr>?, _ length: Int32,
                     _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        simple("WSPBind", s, lpErrno, call) { args in
            args.add("name", F.address(name, length: length))
            args.add("namelen", String(length))
        }
    }

    static func listen(_ s: SOCKET, _ backlog: Int32, _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        simple("WSPListen", s, lpErrno, call) { args in args.add("backlog", String(backlog)) }
    }

    static func accept(_ s: SOCKET, _ addr: UnsafeMutablePointer<WS_sockaddr>?, _ addrlen: UnsafeMutablePointer<Int32>?,
                       _ condition: LPCONDITIONPROC?, _ data: DWORD,
                       _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> SOCKET) -> SOCKET {
        let traced = Trace.wants(s)
        var args = TraceArguments()
        if traced {
            args.add("s", F.handle(s))
            args.addPointer("addr", addr)
            if addrlen != nil { args.add("addrlen", F.deref(addrlen) { String($0) }) }
            let c = unsafeBitCast(condition, to: UnsafeRawPointer?.self)
            if c != nil {
                args.add("condition", F.pointer(c))
                args.add("data", F.hex(data))
            }
        }
        let (accepted, code) = run(lpErrno, call)
        // The new socket has the listener's properties: SO_DEBUG too.
        if accepted != invalidSocket && Trace.socketDebug(s) { Trace.setSocketDebug(accepted, true) }
        if traced {
            var result = accepted == invalidSocket ? "INVALID_SOCKET " + F.error(code) : F.handle(accepted)
            if accepted != invalidSocket && addr != nil {
                result += " (peer=\(F.address(addr, lengthAt: addrlen)))"
            }
            emit("WSPAccept", args, result)
        }
        return accepted
    }

    static func connect(_ s: SOCKET, _ name: UnsafePointer<WS_sockaddr>?, _ length: Int32,
                        _ callerData: LPWSABUF?, _ calleeData: LPWSABUF?, _ g: GROUP,
                        _ socketFlowspec: LPQOS?, _ groupFlowspec: LPQOS?,
                        _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        simple("WSPConnect", s, lpErrno, call) { args in
            args.add("name", F.address(name, length: length))
            args.add("namelen", String(length))
            if callerData != nil { args.add("caller", F.wsabuf(callerData)) }
            if calleeData != nil { args.add("callee", F.wsabuf(calleeData)) }
            if g != 0 { args.add("g", F.hex(g)) }
            args.addPointer("sqos", socketFlowspec)
            args.addPointer("gqos", groupFlowspec)
        }
    }

    static func closeSocket(_ s: SOCKET, _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        let traced = Trace.wants(s)
        let (r, code) = run(lpErrno, call)
        if r == 0 { Trace.socketClosed(s) }
        if traced {
            var args = TraceArguments()
            args.add("s", F.handle(s))
            emit("WSPCloseSocket", args, statusResult(r, code))
        }
        return r
    }

    static func shutdown(_ s: SOCKET, _ how: Int32, _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        simple("WSPShutdown", s, lpErrno, call) { args in args.add("how", F.name(Int64(how), in: F.shutdownNames)) }
    }

    /// WSPGetPeerName and WSPGetSockName: the address comes back.
    static func name(_ entry: StaticString, _ s: SOCKET, _ name: UnsafeMutablePointer<WS_sockaddr>?,
                     _ length: UnsafeMutablePointer<Int32>?, _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        guard Trace.wants(s) else { return call(lpErrno) }
        var args = TraceArguments()
        args.add("s", F.handle(s))
        args.add("namelen", F.deref(length) { String($0) })
        let (r, code) = run(lpErrno, call)
        emit(entry, args, statusResult(r, code, "name=\(F.address(name, lengthAt: length))"))
        return r
    }

    static func getSockOpt(_ s: SOCKET, _ level: Int32, _ option: Int32, _ value: UnsafeMutablePointer<CChar>?,
                           _ length: UnsafeMutablePointer<Int32>?, _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        guard Trace.wants(s) else { return call(lpErrno) }
        var args = TraceArguments()
        args.add("s", F.handle(s))
        args.add("level", F.level(level))
        args.add("opt", F.option(level: level, option))
        args.add("optlen", F.deref(length) { String($0) })
        let (r, code) = run(lpErrno, call)
        let n = F.readable(length)?.pointee ?? 0
        emit("WSPGetSockOpt", args, statusResult(r, code, "val=\(F.optionValue(level: level, option, value, length: n)), optlen=\(n)"))
        return r
    }

    static func setSockOpt(_ s: SOCKET, _ level: Int32, _ option: Int32, _ value: UnsafePointer<CChar>?, _ length: Int32,
                           _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        // Traced when the socket is traced before or after the call: setting
        // SO_DEBUG shows up in the trace, and so does clearing it.
        let before = Trace.wants(s)
        var args = TraceArguments()
        args.add("s", F.handle(s))
        args.add("level", F.level(level))
        args.add("opt", F.option(level: level, option))
        args.add("val", F.optionValue(level: level, option, value, length: length))
        args.add("optlen", String(length))
        let (r, code) = run(lpErrno, call)
        if before || Trace.wants(s) { emit("WSPSetSockOpt", args, statusResult(r, code)) }
        return r
    }

    static func ioctlSocket(_ s: SOCKET, _ command: Int32, _ argument: UnsafeMutablePointer<WS_u_long>?,
                            _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        guard Trace.wants(s) else { return call(lpErrno) }
        let input = UInt32(bitPattern: command) & 0x8000_0000 != 0   // _IOW: the argument is read
        var args = TraceArguments()
        args.add("s", F.handle(s))
        args.add("cmd", F.ioctl(command))
        args.add("arg", input ? F.deref(argument) { String($0) } : F.pointer(argument))
        let (r, code) = run(lpErrno, call)
        emit("WSPIoctlSocket", args, statusResult(r, code, input ? "" : "arg=\(F.deref(argument) { String($0) })"))
        return r
    }

    static func select(_ nfds: Int32, _ read: UnsafeMutablePointer<WS_fd_set>?, _ write: UnsafeMutablePointer<WS_fd_set>?,
                       _ except: UnsafeMutablePointer<WS_fd_set>?, _ timeout: UnsafePointer<WS_timeval>?,
                       _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        var traced = Trace.wantsAll
        if !traced {
            // An SO_DEBUG socket in one of the sets.
            let named = F.handles(UnsafePointer(read)) + F.handles(UnsafePointer(write)) + F.handles(UnsafePointer(except))
            traced = named.contains { Trace.socketDebug($0) }
        }
        guard traced else { return call(lpErrno) }
        var args = TraceArguments()
        args.add("nfds", String(nfds))
        args.add("read", F.fdSet(read))
        args.add("write", F.fdSet(write))
        args.add("except", F.fdSet(except))
        args.add("timeout", F.timeout(timeout))
        let (r, code) = run(lpErrno, call)
        let result = r == socketError ? "SOCKET_ERROR " + F.error(code)
            : "\(r) (read=\(F.fdSet(read)), write=\(F.fdSet(write)), except=\(F.fdSet(except)))"
        emit("WSPSelect", args, result)
        return r
    }

    // MARK: data transfer

    /// WSPRecv and WSPRecvFrom.
    static func receive(_ entry: StaticString, _ s: SOCKET, _ length: DWORD, _ received: LPDWORD?, _ flags: LPINT?,
                        _ from: UnsafeMutableRawPointer?, _ fromLength: LPINT?,
                        _ overlapped: LPWSAOVERLAPPED?, _ completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?,
                        _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        guard Trace.wants(s) else { return call(lpErrno) }
        var args = TraceArguments()
        args.add("s", F.handle(s))
        args.add("len", String(length))
        let flagsIn = F.readable(flags)?.pointee
        args.add("flags", F.deref(flags) { F.messageFlags($0) })
        if fromLength != nil { args.add("fromlen", F.deref(fromLength) { String($0) }) }
        args.addPointer("ov", overlapped)
        args.addPointer("completion", unsafeBitCast(completion, to: UnsafeRawPointer?.self))
        let (r, code) = run(lpErrno, call)
        var details = "bytes=" + F.deref(received) { String($0) }
        // The flags that come back (MSG_PARTIAL), when they are not those that went in.
        if let out = F.readable(flags), out.pointee != flagsIn { details += ", flags=" + F.messageFlags(out.pointee) }
        if from != nil { details += ", from=" + F.address(from, lengthAt: fromLength) }
        emit(entry, args, statusResult(r, code, details))
        return r
    }

    /// WSPSend and WSPSendTo.
    static func send(_ entry: StaticString, _ s: SOCKET, _ length: DWORD, _ sent: LPDWORD?, _ flags: Int32,
                     _ to: UnsafeMutableRawPointer?, _ toLength: Int32?,
                     _ overlapped: LPWSAOVERLAPPED?, _ completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?,
                     _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        guard Trace.wants(s) else { return call(lpErrno) }
        var args = TraceArguments()
        args.add("s", F.handle(s))
        args.add("len", String(length))
        args.add("flags", F.messageFlags(flags))
        if let toLength {
            args.add("to", F.address(to, length: toLength))
            args.add("tolen", String(toLength))
        }
        args.addPointer("ov", overlapped)
        args.addPointer("completion", unsafeBitCast(completion, to: UnsafeRawPointer?.self))
        let (r, code) = run(lpErrno, call)
        emit(entry, args, statusResult(r, code, "bytes=" + F.deref(sent) { String($0) }))
        return r
    }

    // MARK: notification models

    static func asyncSelect(_ s: SOCKET, _ window: HWND?, _ message: UInt32, _ events: Int32,
                            _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        simple("WSPAsyncSelect32", s, lpErrno, call) { args in
            args.add("hwnd", F.pointer(UnsafeRawPointer(window)))
            args.add("msg", F.hex(message))
            args.add("events", F.events(events))
        }
    }

    static func callbackSelect(_ s: SOCKET, _ callback: LPSELECTPROC?, _ data: DWORD, _ events: Int32,
                               _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        simple("WSPCallbackSelect16", s, lpErrno, call) { args in
            args.add("callback", F.pointer(unsafeBitCast(callback, to: UnsafeRawPointer?.self)))
            args.add("data", F.hex(data))
            args.add("events", F.events(events))
        }
    }

    static func eventSelect(_ s: SOCKET, _ event: WSAEVENT?, _ events: Int32,
                            _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        simple("WSPEventSelect", s, lpErrno, call) { args in
            args.add("event", F.pointer(UnsafeRawPointer(event)))
            args.add("events", F.events(events))
        }
    }

    static func enumNetworkEvents(_ s: SOCKET, _ event: WSAEVENT?, _ records: LPWSANETWORKEVENT?, _ count: LPINT?,
                                  _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        guard Trace.wants(s) else { return call(lpErrno) }
        var args = TraceArguments()
        args.add("s", F.handle(s))
        args.add("event", F.pointer(UnsafeRawPointer(event)))
        args.add("count", F.deref(count) { String($0) })
        let (r, code) = run(lpErrno, call)
        emit("WSPEnumNetworkEvents", args, statusResult(r, code, "events=" + F.networkEvents(records, count: count)))
        return r
    }

    // MARK: blocking hooks

    static func setBlockingHook(_ hook: LPBLOCKINGPROC?, _ lpErrno: ErrnoPointer,
                                _ call: (ErrnoPointer) -> LPBLOCKINGPROC?) -> LPBLOCKINGPROC? {
        guard Trace.wantsAll else { return call(lpErrno) }
        var args = TraceArguments()
        args.add("hook", F.pointer(unsafeBitCast(hook, to: UnsafeRawPointer?.self)))
        let (previous, code) = run(lpErrno, call)
        emit("WSPSetBlockingHook32", args,
             code != 0 ? "NULL " + F.error(code) : F.pointer(unsafeBitCast(previous, to: UnsafeRawPointer?.self)))
        return previous
    }

    /// WSPUnhookBlockingHook32 and WSPCancelBlockingCall32: no arguments.
    static func plain(_ entry: StaticString, _ lpErrno: ErrnoPointer, _ call: (ErrnoPointer) -> Int32) -> Int32 {
        guard Trace.wantsAll else { return call(lpErrno) }
        let (r, code) = run(lpErrno, call)
        emit(entry, TraceArguments(), statusResult(r, code))
        return r
    }

    static func isBlocking(_ call: () -> BOOL) -> BOOL {
        guard Trace.wantsAll else { return call() }
        let r = call()
        emit("WSPIsBlocking32", TraceArguments(), r != 0 ? "TRUE" : "FALSE")
        return r
    }
}
