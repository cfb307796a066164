import CLibGit2

/// The repository's own git config (`config` in the git dir): machine-local settings that are not
/// history, such as where this machine keeps the repo's model file.
extension Repository {
    /// The value of `key` (e.g. `elder.model`) in the repository's config, or nil if unset.
    /// With `anyLevel`, the value git would read: repo-local, then global (`~/.gitconfig`, XDG), then system.
    public func configValue(_ key: String, anyLevel: Bool = false) throws -> String? {
        let config = anyLevel ? try allConfig() : try localConfig()
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        let rc = git_config_get_string_buf(&buffer, config.pointer, key)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try gitCheck(rc, "read config \(key)")
        guard let bytes = buffer.ptr else { return "" }
        return String(cString: bytes)
    }

    /// Sets `key` to `value` in the repository's config file.
    public func setConfigValue(_ key: String, _ value: String) throws {
        let config = try localConfig()
        try gitCheck(git_config_set_string(config.pointer, key, value), "write config \(key)")
    }

    private func allConfig() throws -> ConfigHandle {
        var all: OpaquePointer?
        try gitCheck(git_repository_config(&all, handle), "open config")
        return ConfigHandle(all!)
    }

    private func localConfig() throws -> ConfigHandle {
        let owner = try allConfig()
        var local: OpaquePointer?
        try gitCheck(git_config_open_level(&local, owner.pointer, GIT_CONFIG_LEVEL_LOCAL), "open the repository's config")
        return ConfigHandle(local!)
    }
}
