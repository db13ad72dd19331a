import {
  FieldType,
  PanelPlugin,
  getFieldDisplayName,
  type FieldOverrideContext,
  type SelectFieldConfigSettings,
  type SelectableValue,
} from '@grafana/data';
import { LeaderboardPanel } from './components/LeaderboardPanel';
import { defaultOptions, type LeaderboardOptions } from './types';

/** Every field of the data, by name, for the secondary-columns picker. */
async function fieldNames(context: FieldOverrideContext): Promise<SelectableValue<string>[]> {
  const names = new Map<string, SelectableValue<string>>();
  for (const frame of context.data) {
    for (const field of frame.fields) {
      if (!names.has(field.name)) {
        names.set(field.name, { value: field.name, label: getFieldDisplayName(field, frame, context.data) });
      }
    }
  }
  return [...names.values()];
}

export const plugin = new PanelPlugin<LeaderboardOptions>(LeaderboardPanel)
  // Standard field options: unit, decimals, thresholds, colour, and the data links that make a
  // row clickable (e.g. /d/<uid>?var-<name>=${__data.fields.<field>} sets a dashboard variable).
  .useFieldConfig()
  .setPanelOptions((builder) =>
    builder
      .addFieldNamePicker({
        path: 'labelField',
        name: 'Label field',
        description: 'Names each row. Default: the first text field.',
        settings: { filter: (field) => field.type === FieldType.string },
      })
      .addFieldNamePicker({
        path: 'valueField',
        name: 'Value field',
        description: 'Drawn as a bar. Default: the first number field.',
        settings: { filter: (field) => field.type === FieldType.number },
      })
      .addMultiSelect<string, SelectFieldConfigSettings<string>>({
        path: 'secondaryFields',
        name: 'Secondary fields',
        description:
          'Columns after the bar, through the field display (numbers coloured by thresholds). ' +
          'Default: the second number field.',
        settings: { options: [], getOptions: fieldNames },
      })
      .addFieldNamePicker({
        path: 'seriesField',
        name: 'Recent values field',
        description: 'Optional: recent values per row ("1.5,7,3" or a JSON array), drawn as a strip.',
      })
      .addNumberInput({
        path: 'limit',
        name: 'Rows',
        description: 'Rows shown at most.',
        defaultValue: defaultOptions.limit,
        settings: { min: 1, max: 100, integer: true },
      })
      .addRadio({
        path: 'sortBy',
        name: 'Order',
        defaultValue: defaultOptions.sortBy,
        settings: {
          options: [
            { value: 'none', label: 'As the data ranks' },
            { value: 'value-desc', label: 'Value, highest first' },
          ],
        },
      })
      .addBooleanSwitch({
        path: 'showHeader',
        name: 'Header',
        description: 'A header row with the fields’ display names.',
        defaultValue: defaultOptions.showHeader,
      }),
  );
