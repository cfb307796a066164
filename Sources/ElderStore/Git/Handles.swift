import CLibGit2

// Owners of the libgit2 handles Elder uses only inside one call: each final class owns one handle and
// frees it in `deinit`. Use the handle through the owner (`owner.pointer` at each use), so the owner
// lives at least as long as the handle is used.

/// Owns a `git_reference *`.
final class ReferenceHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_reference_free(pointer) }
}

/// Owns a `git_reference_iterator *`.
final class ReferenceIteratorHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_reference_iterator_free(pointer) }
}

/// Owns a `git_object *` (any object kind, e.g. from `git_revparse_single`).
final class ObjectHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_object_free(pointer) }
}

/// Owns a `git_blob *`.
final class BlobHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_blob_free(pointer) }
}

/// Owns a `git_odb *` (the repository's object database, reference-counted by libgit2).
final class ObjectDatabaseHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_odb_free(pointer) }
}

/// Owns a `git_note *`.
final class NoteHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_note_free(pointer) }
}

/// Owns a `git_signature *`.
final class SignatureHandle {
    let pointer: UnsafeMutablePointer<git_signature>
    init(_ pointer: UnsafeMutablePointer<git_signature>) { self.pointer = pointer }
    deinit { git_signature_free(pointer) }
}

/// Owns a `git_config *`.
final class ConfigHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_config_free(pointer) }
}
