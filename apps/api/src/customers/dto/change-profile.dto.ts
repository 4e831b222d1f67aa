import { ProfileFieldsDto } from './profile-fields';

/** Only the fields sent are changed; a body with none is refused. */
export class ChangeProfileDto extends ProfileFieldsDto {}
