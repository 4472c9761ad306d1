import { clusterPrerequisitesMissing } from '../../../infra/cluster/install';

describe('local cluster prerequisites', () => {
  test('one message naming every missing package and the apt-get command', () => {
    const message = clusterPrerequisitesMissing(
      (file) => !['runc', 'conntrack', 'nsenter', 'unshare'].includes(file),
    );
    expect(message).toContain('apt-get install -y runc conntrack util-linux');
    expect(clusterPrerequisitesMissing(() => true)).toBeUndefined();
  });
});
