import type { AlertRuleSpec } from '../../grafana/alerts.ts';
import { FLIGHTS_DASHBOARD_UID } from './dashboard.ts';
import { FLIGHTS } from './schema.ts';

/** Flights's alert rules, provisioned with the shared ones by grafana/generate.ts. */
export const flightsAlertRules: AlertRuleSpec[] = [
  {
    uid: 'flights-airline-on-time-low',
    title: 'Airline on-time share low',
    expr:
      'max by (airline) (flights_airline_on_time_ratio)' +
      ` and on (airline) (max by (airline) (flights_airline_flights) >= ${FLIGHTS.alertMinFlights})`,
    comparison: 'lt',
    threshold: FLIGHTS.alertOnTimeShare,
    for: '0s',
    summary: `{{ $labels.airline }} has flown at least ${FLIGHTS.alertMinFlights} flights today and only {{ humanizePercentage $values.B.Value }} of its completed ones arrived on time (below ${FLIGHTS.alertOnTimeShare * 100} %).`,
    description:
      `flights_airline_on_time_ratio is, per airline, the share of its completed flights (neither cancelled nor diverted) ` +
      `of the current UTC day of scheduled departure that arrived at most ${FLIGHTS.onTimeMaxArrivalDelayMinutes} min late; ` +
      `flights_airline_flights counts all its flights of that day. One alert per airline.`,
    runbook: `Open Flights (/d/${FLIGHTS_DASHBOARD_UID}): the delays table shows which delays grew; the map where it flies most.`,
    severity: 'warning',
    noDataState: 'OK',
  },
];
