// Kafka's cluster id as the local platform generates it before formatting the broker's storage.
import { newKafkaClusterId } from '../../../platform/local/services';

describe('newKafkaClusterId', () => {
  test("is Kafka's Uuid text form: 22 URL-safe base64 characters", () => {
    for (let i = 0; i < 200; i++) expect(newKafkaClusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  test('never starts with a dash, which kafka-storage would read as an option', () => {
    // One random id in 64 starts with '-': 5000 draws all but surely include such a case before the fix.
    const ids = Array.from({ length: 5000 }, () => newKafkaClusterId());
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
