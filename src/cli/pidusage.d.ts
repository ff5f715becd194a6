// pidusage ships no types; only what the CLI uses.
declare module "pidusage" {
  interface Status {
    cpu: number;
    memory: number;
    ppid: number;
    pid: number;
    ctime: number;
    elapsed: number;
    timestamp: number;
  }
  function pidusage(pid: number): Promise<Status>;
  export default pidusage;
}
