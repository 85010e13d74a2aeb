import Foundation

#if canImport(Glibc)
    import Glibc
    private let posixWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let posixWrite = Darwin.write
#endif

/// A key file that cannot be used: names the file, the line when there is one, and what is wrong. Never
/// contains a secret key.
public struct CurveKeyFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    /// 1-based; nil when the problem is the file as a whole (missing, unreadable, no key in it).
    public var line: Int?
    public var problem: String

    public init(path: String, line: Int? = nil, problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    public var description: String { line.map { "\(path):\($0): \(problem)" } ?? "\(path): \(problem)" }
}

/// CURVE key files, as `loadshape keys` writes them:
///
/// - `NAME.key` (mode 0600), the key pair — keep it on the machine that uses it:
///   ```
///   # Loadshape CURVE key pair — keep secret
///   public-key = <Z85>
///   secret-key = <Z85>
///   ```
/// - `NAME.pub`, the public key only — copy it to whoever must trust this key:
///   ```
///   # Loadshape CURVE public key (NAME)
///   <Z85>
///   ```
///
/// Blank lines and lines starting with `#` are ignored. (`#` is a Z85 character, but never the first one of a
/// key: a 5-character group below 2³² starts with at most `%`.) In public-key files and lists a key may be followed
/// by whitespace and a `# comment`.
public enum CurveKeyFile {
    /// One authorized public key and where it was read.
    public struct AuthorizedKey: Hashable, Sendable {
        public var publicKey: String
        public var path: String
        public var line: Int
    }

    // MARK: Reading

    /// Reads a `NAME.key` file. `secret-key` is required; `public-key`, when present, must be the one that belongs
    /// to the secret key. If the file is readable or writable by group or others, calls `warn` (does not fail).
    public static func readKeyPair(
        path: String, warn: (String) -> Void = CurveKeyFile.warnOnStandardError
    ) throws(CurveKeyFileError) -> CurveKeyPair {
        let lines = try readLines(path)
        if let w = permissionWarning(path: path) { warn(w) }
        var secret: (value: String, line: Int)?
        var publicKey: (value: String, line: Int)?
        for (n, raw) in lines {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ p: String) -> CurveKeyFileError { CurveKeyFileError(path: path, line: n, problem: p) }
            // A bare key first: `=` is a Z85 character.
            let token = String(line.prefix { !$0.isWhitespace })
            if Z85.decodeKey(token) != nil && !token.hasPrefix("secret-key") && !token.hasPrefix("public-key") {
                throw fail("a bare key: this looks like a public-key file (.pub); give the NAME.key file written by `loadshape keys`")
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw fail("expected 'public-key = <Z85>' or 'secret-key = <Z85>'")
            }
            let name = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "secret-key":
                if let s = secret { throw fail("secret-key given twice (first on line \(s.line))") }
                if let p = Z85.keyProblem(value) { throw fail("secret-key \(p)") }
                secret = (value, n)
            case "public-key":
                if let s = publicKey { throw fail("public-key given twice (first on line \(s.line))") }
                if let p = Z85.keyProblem(value) { throw fail("public-key \(p)") }
                publicKey = (value, n)
            default:
                throw fail("unknown setting '\(name.prefix(40))': expected public-key or secret-key")
            }
        }
        guard let secret else {
            throw CurveKeyFileError(path: path, problem: "no 'secret-key = <Z85>' line (is this a key pair file written by `loadshape keys`?)")
        }
        let derived: String
        do { derived = try CurveKeyPair.publicKey(fromSecret: secret.value) } catch {
            throw CurveKeyFileError(path: path, line: secret.line, problem: "secret-key: \(error)")
        }
        if let p = publicKey, p.value != derived {
            throw CurveKeyFileError(
                path: path, line: p.line,
                problem: "public-key does not match secret-key (the secret key's public key is \(derived)): "
                    + "the two lines come from different key pairs")
        }
        return CurveKeyPair(publicKey: derived, secretKey: secret.value)
    }

    /// Reads a `NAME.pub` file: exactly one public key.
    public static func readPublicKey(path: String) throws(CurveKeyFileError) -> String {
        let keys = try readKeyList(path)
        guard let first = keys.first else { throw CurveKeyFileError(path: path, problem: "no public key in the file") }
        if keys.count > 1 {
            throw CurveKeyFileError(
                path: path, line: keys[1].line,
                problem: "a second key (the first is on line \(first.line)); a .pub file holds one public key")
        }
        return first.publicKey
    }

    /// The authorized client keys: either a directory — every `*.pub` file in it, in name order — or a file with
    /// one key per line. A key equal to `excluding` (the server's own public key) is skipped, so a coordinator may
    /// point at the one directory holding every `.pub`, its own included. Fails when no key is left: an empty
    /// list would admit no one.
    public static func readAuthorized(path: String, excluding: String? = nil) throws(CurveKeyFileError) -> [AuthorizedKey] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CurveKeyFileError(path: path, problem: "no such file or directory")
        }
        var found: [AuthorizedKey] = []
        var skippedOwn = false
        if isDir.boolValue {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                throw CurveKeyFileError(path: path, problem: "cannot list the directory (\(reason(error)))")
            }
            for name in names.sorted() where name.hasSuffix(".pub") {
                let file = (path as NSString).appendingPathComponent(name)
                var sub: ObjCBool = false
                guard FileManager.default.fileExists(atPath: file, isDirectory: &sub), !sub.boolValue else { continue }
                let keys = try readKeyList(file)
                guard let first = keys.first else { throw CurveKeyFileError(path: file, problem: "no public key in the file") }
                if keys.count > 1 {
                    throw CurveKeyFileError(
                        path: file, line: keys[1].line,
                        problem: "a second key (the first is on line \(first.line)); a .pub file holds one public key")
                }
                found.append(first)
            }
        } else {
            found = try readKeyList(path)
        }
        var seen: Set<String> = []
        var result: [AuthorizedKey] = []
        for k in found {
            if k.publicKey == excluding {
                skippedOwn = true
                continue
            }
            if seen.insert(k.publicKey).inserted { result.append(k) }
        }
        if result.isEmpty {
            let what = isDir.boolValue ? "no *.pub files in the directory" : "no keys in the file"
            throw CurveKeyFileError(
                path: path,
                problem: (skippedOwn ? "no authorized keys besides the server's own" : what)
                    + ": nobody could connect (write client keys with `loadshape keys`)")
        }
        return result
    }

    /// Why the key file at `path` is too open (group or others may read or write it), or nil.
    public static func permissionWarning(path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mode = UInt32(st.st_mode) & 0o777
        guard mode & 0o077 != 0 else { return nil }
        return "warning: \(path) holds a secret key but is accessible to group/others (mode \(String(mode, radix: 8))); "
            + "run: chmod 600 \(path)"
    }

    /// The default `warn` of `readKeyPair`: the text and a newline on standard error.
    public static func warnOnStandardError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    // MARK: Writing

    /// The text of a `NAME.key` file.
    public static func keyPairText(_ pair: CurveKeyPair) -> String {
        "# Loadshape CURVE key pair — keep secret\npublic-key = \(pair.publicKey)\nsecret-key = \(pair.secretKey)\n"
    }

    /// The text of a `NAME.pub` file.
    public static func publicKeyText(_ publicKey: String, name: String) -> String {
        "# Loadshape CURVE public key (\(name))\n\(publicKey)\n"
    }

    /// Whether `name` may name a key: letters, digits, `.`, `-`, `_`, not starting with `.`; nil if fine, else why not.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.hasPrefix(".") { return "starts with '.'" }
        let ok = name.unicodeScalars.allSatisfy { c in
            (c.isASCII && CharacterSet.alphanumerics.contains(c)) || c == "." || c == "-" || c == "_"
        }
        return ok ? nil : "may only hold letters, digits, '.', '-' and '_'"
    }

    /// Writes `DIRECTORY/NAME.key` (mode 0600, never readable by others even for a moment) and
    /// `DIRECTORY/NAME.pub`, creating the directory (mode 0700) if needed. Refuses to replace either file unless
    /// `overwrite`. Returns the two paths.
    @discardableResult
    public static func write(
        _ pair: CurveKeyPair, directory: String, name: String, overwrite: Bool = false
    ) throws(CurveKeyFileError) -> (keyFile: String, publicFile: String) {
        if let p = nameProblem(name) { throw CurveKeyFileError(path: name, problem: "the key name \(p)") }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw CurveKeyFileError(path: directory, problem: "exists and is not a directory") }
        } else {
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch { throw CurveKeyFileError(path: directory, problem: "cannot create the directory (\(reason(error)))") }
        }
        let keyPath = (directory as NSString).appendingPathComponent(name + ".key")
        let pubPath = (directory as NSString).appendingPathComponent(name + ".pub")
        if !overwrite {
            for p in [keyPath, pubPath] where fm.fileExists(atPath: p) {
                throw CurveKeyFileError(path: p, problem: "already exists; not replaced")
            }
        }
        try writePrivately(keyPairText(pair), to: keyPath)
        do { try Data(publicKeyText(pair.publicKey, name: name).utf8).write(to: URL(fileURLWithPath: pubPath), options: .atomic) } catch {
            throw CurveKeyFileError(path: pubPath, problem: "cannot write (\(reason(error)))")
        }
        return (keyPath, pubPath)
    }

    // MARK: Internals

    /// Creates a temporary file with mode 0600 from the start, writes `text`, and renames it onto `path`.
    static func writePrivately(_ text: String, to path: String) throws(CurveKeyFileError) {
        let tmp = path + ".tmp-\(getpid())"
        func fail(_ what: String) -> CurveKeyFileError {
            let e = CurveKeyFileError(path: path, problem: "cannot write (\(what): \(String(cString: strerror(errno))))")
            unlink(tmp)
            return e
        }
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode_t(0o600))
        guard fd >= 0 else { throw fail("open") }
        let bytes = Array(text.utf8)
        var ok = fchmod(fd, 0o600) == 0
        var written = 0
        while ok && written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { posixWrite(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            ok = n > 0
            if ok { written += n }
        }
        ok = ok && fsync(fd) == 0
        if !ok {
            let e = fail("write")
            close(fd)
            throw e
        }
        guard close(fd) == 0 else { throw fail("close") }
        guard rename(tmp, path) == 0 else { throw fail("rename") }
    }

    /// The file's lines, numbered from 1, without line terminators.
    static func readLines(_ path: String) throws(CurveKeyFileError) -> [(Int, String)] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CurveKeyFileError(path: path, problem: "no such file")
        }
        if isDir.boolValue { throw CurveKeyFileError(path: path, problem: "is a directory, not a key file") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CurveKeyFileError(path: path, problem: "cannot read (\(reason(error)))")
        }
        guard data.count <= 1 << 20 else { throw CurveKeyFileError(path: path, problem: "is \(data.count) bytes: too large for a key file") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CurveKeyFileError(path: path, problem: "is not UTF-8 text")
        }
        var lines: [(Int, String)] = []
        // Character-wise, "\r\n" is one newline (a single grapheme), as are "\n" and "\r".
        for (i, l) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            lines.append((i + 1, String(l)))
        }
        return lines
    }

    /// The keys of a public-key file or list, one per line.
    static func readKeyList(_ path: String) throws(CurveKeyFileError) -> [AuthorizedKey] {
        var keys: [AuthorizedKey] = []
        for (n, raw) in try readLines(path) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            func fail(_ p: String) -> CurveKeyFileError { CurveKeyFileError(path: path, line: n, problem: p) }
            let token = String(line.prefix { !$0.isWhitespace })
            let rest = line.dropFirst(token.count).trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }
            if line.hasPrefix("secret-key") || line.hasPrefix("public-key") {
                throw fail("this is a key pair file (NAME.key, which holds a secret key); give the NAME.pub file")
            }
            if let p = Z85.keyProblem(token) { throw fail("the public key \(p)") }
            if !rest.isEmpty && !rest.hasPrefix("#") {
                throw fail("unexpected text after the key (one key per line; comments start with #)")
            }
            keys.append(AuthorizedKey(publicKey: token, path: path, line: n))
        }
        return keys
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(u.code)))
        }
        return ns.localizedDescription
    }
}
