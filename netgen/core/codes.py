"""The catalogue of stable diagnostic codes.

Codes never change meaning once released. docs/errors.md documents every code listed here (a
test keeps the two in step), and every code raised in the package must be listed here.
"""

from __future__ import annotations

from typing import Final

CODES: Final[dict[str, str]] = {
    # NG1xx: reading files
    "NG101": "file cannot be read",
    "NG102": "YAML or JSON syntax error",
    "NG103": "duplicate key in a mapping",
    "NG104": "unsupported inventory schema version",
    "NG105": "document is not a mapping",
    "NG106": "YAML anchors and aliases are not supported",
    "NG107": "file larger than netgen reads",
    "NG108": "document nested too deeply",
    "NG109": "value too long",
    # NG2xx: inventory schema
    "NG201": "unknown key",
    "NG202": "missing required field",
    "NG203": "invalid value",
    # NG3xx: Cloudflare rules
    "NG301": "tunnel name breaks Cloudflare's naming rule",
    "NG302": "duplicate tunnel name",
    "NG303": "duplicate site, device or WAN link name",
    "NG304": "no honest generated tunnel name fits",
    "NG310": "interface address has the wrong prefix length",
    "NG311": "interface address outside Cloudflare's allowed ranges",
    "NG312": "interface address not network-aligned",
    "NG313": "interface addresses overlap",
    "NG314": "interface address overlaps a LAN prefix or another pool",
    "NG315": "interface pool outside Cloudflare's allowed ranges",
    "NG316": "interface pools overlap",
    "NG320": "customer WAN address is not public unicast IPv4",
    "NG321": "customer WAN address inside an advertised prefix",
    "NG330": "duplicate Cloudflare endpoint name",
    "NG331": "duplicate Cloudflare endpoint address",
    "NG332": "Cloudflare endpoint address is not public unicast IPv4",
    "NG340": "tunnel references an unknown WAN link",
    "NG341": "tunnel references an unknown Cloudflare endpoint",
    "NG342": "two tunnels of a device share the same WAN link and endpoint",
    "NG350": "MTU out of range",
    "NG351": "MSS out of range",
    "NG352": "TTL out of range",
    "NG360": "health-check target without unidirectional direction",
    "NG361": "legacy health-check target outside Cloudflare's legacy range",
    "NG370": "local_id ipv4 used behind NAT",
    "NG371": "local_id ipv4 with a non-unique (endpoint, WAN address) pair",
    "NG372": "crypto suite not supported by Cloudflare",
    "NG373": "IPsec lifetime out of range",
    "NG380": "ISP link with only one tunnel",
    "NG381": "device with tunnels to only one Cloudflare endpoint",
    # NG4xx: allocation and the lock file
    "NG401": "interface pool exhausted",
    "NG402": "lock file invalid",
    "NG403": "pinned interface address conflicts with the lock",
    "NG404": "orphaned tunnel in the lock",
    "NG405": "no interface pool for a tunnel that needs an address",
    # NG5xx: vendors and rendering
    "NG501": "vendor cannot express a feature",
    "NG502": "unsafe text for the vendor's configuration syntax",
    "NG503": "IKE identity from the Cloudflare API missing in the lock",
    "NG504": "template error",
    "NG505": "unsupported platform version",
    "NG506": "vendor profile invalid",
    "NG507": "unknown vendor",
    "NG508": "filter matches nothing",
    "NG509": "netgen lint does not cover the vendor",
    "NG510": "WAN link needs a gateway for multi-WAN routing on this vendor",
    "NG511": "policy-routed via_cloudflare prefix without lan_interface",
    # NG6xx: importing Cloudflare API responses
    "NG601": "response file is not valid JSON (empty, truncated or malformed)",
    "NG602": "response file is an HTML page, not an API response",
    "NG603": "JSON document is not a Cloudflare API response netgen imports",
    "NG604": "Cloudflare API reported an error (success: false)",
    "NG605": "tunnel or PSK object in a response is invalid",
    "NG606": "response carries nothing to import",
    "NG610": "Cloudflare endpoint differs from the inventory",
    "NG611": "customer endpoint differs from the inventory",
    "NG612": "interface_address differs from the lock",
    "NG613": "Cloudflare's interface_address cannot be adopted",
    "NG614": "tunnel type differs from the inventory",
    "NG615": "tunnel id differs from the lock",
    "NG616": "responses disagree about a tunnel",
    "NG620": "PSK for an unknown tunnel id",
    "NG621": "tunnel at Cloudflare is not in the inventory",
    "NG622": "response older than the lock",
    # NG7xx: secrets
    "NG701": "secrets store invalid",
    "NG702": "secrets file readable by group or others",
    "NG703": "PSK reference cannot be resolved (environment variable or file)",
    "NG704": "PSK contains characters vendor configs cannot carry safely",
    "NG705": "PSK is short",
    "NG706": "no such IPsec tunnel for a secret",
    # NG8xx: diff
    "NG801": "not a netgen output directory",
    "NG802": "inventory not in a git repository",
    "NG803": "inventory does not exist at the revision",
    # NG9xx: output
    "NG901": "output cannot be written",
    "NG902": "rendered output differs from the directory (drift)",
    "NG903": "another netgen command holds the writer lock (waiting timed out)",
    "NG904": "lock or secrets file is a symlink that does not lead to a regular file",
}
