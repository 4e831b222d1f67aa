import { type CustomerEvent } from '@app/domain';
import { given, recorded, registered, touchpoint } from './customer.fixtures';

const opened = recorded(
  'ComplaintOpened',
  { complaintId: 'k-1', category: 'delivery', severity: 'medium' },
  { touchpointId: 'tp-open' },
);
const escalated = recorded(
  'ComplaintEscalated',
  { complaintId: 'k-1', level: '2' },
  { touchpointId: 'tp-escalate' },
);
const resolved = recorded(
  'ComplaintResolved',
  { complaintId: 'k-1', resolution: 'refunded', satisfied: true },
  { touchpointId: 'tp-resolve' },
);

function whenOpened(...history: CustomerEvent[]) {
  return given(registered(), ...history).when(
    touchpoint('complaint_opened', { complaintId: 'k-1', category: 'delivery' }),
  );
}

describe('complaint workflow', () => {
  it('opens a complaint with severity medium unless another is given', () => {
    whenOpened().then(
      recorded('ComplaintOpened', { complaintId: 'k-1', category: 'delivery', severity: 'medium' }),
    );
    given(registered())
      .when(
        touchpoint('complaint_opened', {
          complaintId: 'k-1',
          category: 'billing',
          severity: 'critical',
        }),
      )
      .then(
        recorded('ComplaintOpened', {
          complaintId: 'k-1',
          category: 'billing',
          severity: 'critical',
        }),
      );
  });

  it('refuses to open a complaint id that is open or escalated: COMPLAINT_ALREADY_OPEN', () => {
    whenOpened(opened).thenThrows('COMPLAINT_ALREADY_OPEN');
    whenOpened(opened, escalated).thenThrows('COMPLAINT_ALREADY_OPEN');
  });

  it('refuses to open a resolved complaint id again, which is a reopening: COMPLAINT_ALREADY_RESOLVED', () => {
    whenOpened(opened, resolved).thenThrows('COMPLAINT_ALREADY_RESOLVED');
  });

  it('escalates an open or already escalated complaint', () => {
    for (const history of [[opened], [opened, escalated]]) {
      given(registered(), ...history)
        .when(touchpoint('complaint_escalated', { complaintId: 'k-1', reason: 'no answer' }))
        .then(recorded('ComplaintEscalated', { complaintId: 'k-1', reason: 'no answer' }));
    }
  });

  it('refuses to escalate a complaint that is not open: COMPLAINT_NOT_OPEN', () => {
    for (const history of [[], [opened, resolved]]) {
      given(registered(), ...history)
        .when(touchpoint('complaint_escalated', { complaintId: 'k-1' }))
        .thenThrows('COMPLAINT_NOT_OPEN');
    }
  });

  it('resolves an open or escalated complaint', () => {
    for (const history of [[opened], [opened, escalated]]) {
      given(registered(), ...history)
        .when(touchpoint('complaint_resolved', { complaintId: 'k-1', resolution: 'replaced' }))
        .then(recorded('ComplaintResolved', { complaintId: 'k-1', resolution: 'replaced' }));
    }
  });

  it('refuses to resolve a complaint that is not open: COMPLAINT_NOT_OPEN', () => {
    for (const history of [[], [opened, resolved]]) {
      given(registered(), ...history)
        .when(touchpoint('complaint_resolved', { complaintId: 'k-1', resolution: 'again' }))
        .thenThrows('COMPLAINT_NOT_OPEN');
    }
  });

  it('keeps complaints apart by id', () => {
    given(registered(), opened, resolved)
      .when(touchpoint('complaint_resolved', { complaintId: 'k-2', resolution: 'x' }))
      .thenThrows('COMPLAINT_NOT_OPEN');
  });

  it('reopens a resolved complaint, which can then be resolved again', () => {
    const reopen = touchpoint('complaint_reopened', { complaintId: 'k-1', reason: 'broke again' });
    given(registered(), opened, resolved)
      .when(reopen)
      .then(recorded('ComplaintReopened', { complaintId: 'k-1', reason: 'broke again' }));
    const reopened = recorded('ComplaintReopened', { complaintId: 'k-1' });
    given(registered(), opened, resolved, reopened)
      .when(
        touchpoint(
          'complaint_resolved',
          { complaintId: 'k-1', resolution: 'repaired' },
          { touchpointId: 'tp-2' },
        ),
      )
      .then(
        recorded(
          'ComplaintResolved',
          { complaintId: 'k-1', resolution: 'repaired' },
          { touchpointId: 'tp-2' },
        ),
      );
  });

  it('refuses to reopen a complaint that is not resolved: COMPLAINT_NOT_RESOLVED', () => {
    for (const history of [[], [opened], [opened, escalated]]) {
      given(registered(), ...history)
        .when(touchpoint('complaint_reopened', { complaintId: 'k-1' }))
        .thenThrows('COMPLAINT_NOT_RESOLVED');
    }
  });
});
