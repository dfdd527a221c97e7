// Plain JavaScript on purpose: `bondgate --help` and `--version` print these without loading TypeScript or the app.
export const VERSION = '0.1.0';

export const USAGE = `bondgate — bonded-zone logistics: edge gateways and the hub

Usage:
  bondgate demo                      hub + embedded broker + a simulated edge gateway (data in ./data/demo)
  bondgate hub [--config FILE]       run the hub (SQLite by default; DATABASE_URL for PostgreSQL; MQTT_URL for an external broker)
  bondgate edge --config FILE        run an edge gateway agent
  bondgate console pin-hash [--config EDGE_FILE]
                                     read an operator's console PIN from stdin (not echoed) and print its hash for the edge config
  bondgate audit verify [--config FILE]  verify the hub's audit hash chain; exit 3 and the first bad entry if broken
  bondgate gateway add ID [--config FILE]
                                     provision a gateway on the hub's store and print its credentials
  bondgate broker config --out DIR [--config FILE] [--issue] [--tls-cert F --tls-key F --ca F]
                                     write a Mosquitto config: TLS, per-gateway passwords, topic ACL (--help)
  bondgate backup edge|hub --out FILE [--config FILE]
                                     online backup of an edge journal or the hub store (README, "Backups and restore")
  bondgate restore edge|hub --from FILE [--config FILE]
                                     put a backup in place (the edge or hub stopped)
  bondgate devices list              serial ports (with stable by-id paths), HID devices and keyboard-wedge scanners present
  bondgate devices probe --config FILE
                                     open one device and print its decoded readings live
  bondgate documents import <files or dirs…> --hub URL --user NAME [--password-env VAR]
                                     upload customs documents (CEB XML, JSON, NDJSON) as a batch and follow its progress
  bondgate sim <device> …           a device simulator over its real transport: scale, scanner, lock, conveyor,
                                     xray-line, line (a scripted scenario), rfid, camera, seal, eport-card (an e-port
                                     card client signing with a test SM2 card), eport (the single-window client's
                                     OutBox/InBox) (bondgate sim --help)
  bondgate --help | --version

Config files are YAML or JSON; see README.md for every field.`;
