// net-snmp ships no type declarations; the simulator and its tests use a small part of it.
declare module 'net-snmp' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS library
  const snmp: any;
  export default snmp;
}
