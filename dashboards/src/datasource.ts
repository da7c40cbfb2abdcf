/**
 * The InfluxDB datasource as provisioned by deploy/grafana/provisioning/datasources/influxdb.yaml.
 * The uid is the contract between the two files.
 */
export const influxDatasource = { type: 'influxdb', uid: 'hashfleet-influxdb' } as const;
