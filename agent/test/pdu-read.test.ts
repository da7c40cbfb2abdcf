import { raritan, raritanSensor, readRaritan } from '@hashfleet/firmware-profiles/pdus/raritan-pdu2';
import { describe, expect, it } from 'vitest';

describe('Raritan PDU2 external sensors', () => {
  // PDU2-MIB's measurementsExternalSensorValue is Unsigned32 and reads 0 below zero; the agent
  // must take the Integer32 SignedValue twin when the PDU has it, or a -10.7 °C inlet reads 0 °C.
  it('reads a sub-zero inlet temperature from the signed column, scaled by its decimal digits', () => {
    const values = new Map<string, number | string>([
      [`${raritan.externalType}.1.1`, raritanSensor.temperature],
      [`${raritan.externalDigits}.1.1`, 1],
      [`${raritan.externalValue}.1.1`, 0],
      [`${raritan.externalSignedValue}.1.1`, -107],
      [`${raritan.externalType}.1.2`, raritanSensor.humidity],
      [`${raritan.externalDigits}.1.2`, 0],
      [`${raritan.externalValue}.1.2`, 38],
    ]);
    const pdu = readRaritan(values);
    expect(pdu.sensors).toEqual([
      { sensorId: 'external-1.1', kind: 'temperature', value: -10.7, location: 'unknown' },
      { sensorId: 'external-1.2', kind: 'humidity', value: 38, location: 'unknown' },
    ]);
  });
});
