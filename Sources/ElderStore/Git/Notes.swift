import CLibGit2

/// Git notes: text attached to an object under a notes ref (default `refs/notes/elder`).
extension Repository {
    public static let elderNotesRef = "refs/notes/elder"

    /// Attaches `text` to `object`; replaces an existing note when `force`.
    public func setNote(_ text: String, on object: ObjectID, notesRef: String = Repository.elderNotesRef,
                        author: Signature, force: Bool = true) throws {
        var oid = git_oid()
        try author.withRaw { sig in
            try object.withRaw { target in
                try gitCheck(git_note_create(&oid, handle, notesRef, sig, sig, target, text, force ? 1 : 0),
                             "write note on \(object.short)")
            }
        }
    }

    /// The note on `object`, or nil when there is none.
    public func note(on object: ObjectID, notesRef: String = Repository.elderNotesRef) throws -> String? {
        var note: OpaquePointer?
        let rc = object.withRaw { git_note_read(&note, handle, notesRef, $0) }
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try gitCheck(rc, "read note on \(object.short)")
        let owner = NoteHandle(note!)
        return git_note_message(owner.pointer).map { String(cString: $0) }
    }

    public func removeNote(on object: ObjectID, notesRef: String = Repository.elderNotesRef, author: Signature) throws {
        try author.withRaw { sig in
            try object.withRaw { target in
                try gitCheck(git_note_remove(handle, notesRef, sig, sig, target), "remove note on \(object.short)")
            }
        }
    }
}
