-- Prosody configuration as Debian's prosody package installs it (abridged for Parley's tests).
-- Lines starting with -- are comments.

---------- Server-wide settings ----------

admins = { }

plugin_paths = { "/usr/local/lib/prosody/modules" }

modules_enabled = {
	-- Generally required
		"disco"; -- service discovery
		"roster"; -- rosters
		"saslauth"; -- logins
		"tls"; -- STARTTLS
	-- Not essential, but recommended
		"blocklist";
		"carbons";
		"dialback";
		"limits";
		"pep";
		"private";
		"smacks";
		"vcard_legacy";
		"csi_simple";
		"ping";
		"register";
		"time";
		"uptime";
		"version";
		"admin_adhoc";
		"admin_shell";
		"posix"; -- daemonizing and syslog
}

modules_disabled = {
	-- "offline";
}

pidfile = "/run/prosody/prosody.pid";

s2s_secure_auth = true

limits = {
	c2s = {
		rate = "10kb/s";
	};
	s2sin = {
		rate = "30kb/s";
	};
}

authentication = "internal_hashed"

archive_expires_after = "1w"

log = {
	info = "/var/log/prosody/prosody.log";
	error = "/var/log/prosody/prosody.err";
	{ levels = { "error" }; to = "syslog"; };
}

certificates = "certs"

----------- Virtual hosts -----------

VirtualHost "localhost"

--[[ Debian's package keeps site files in conf.avail and links them from conf.d;
     jitsi-meet-prosody's postinst adds the line below when it is missing. ]]
Include "conf.d/*.cfg.lua"
