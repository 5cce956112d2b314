// Package detect will hold the scheduled detections (port scan, host sweep,
// vulnerability attack) that read the firewall_logs table with aggregate
// SQL over the last N minutes and feed the blacklist. It is built in the
// detection issue; today it holds no code. It will import only schema, run
// its jobs with gocron v2 (types kept inside this package), and expose
// Engine.Run(ctx) to cmd.
package detect
