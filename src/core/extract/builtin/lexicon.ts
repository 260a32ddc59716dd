/**
 * Small hand-written word lists that stand in for the world knowledge a pretrained model
 * would bring (none is available offline): countries, US states and their abbreviations,
 * large cities, nationalities, months and weekdays, person titles, common first names and
 * words that end organisation names. They are features, not rules: the tagger learns how much
 * to trust each list from the training data.
 */
const LISTS: Record<string, string> = {
  country: `afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas bahrain bangladesh
    barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei bulgaria burma burundi cambodia cameroon
    canada chad chile china colombia congo croatia cuba cyprus czechoslovakia denmark djibouti dominica ecuador egypt
    england eritrea estonia ethiopia fiji finland france gabon gambia georgia germany ghana greece grenada guatemala guinea
    guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya
    korea kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania luxembourg macedonia madagascar
    malawi malaysia maldives mali malta mauritania mauritius mexico moldova monaco mongolia morocco mozambique myanmar namibia
    nepal netherlands holland nicaragua niger nigeria norway oman pakistan panama paraguay peru philippines poland portugal
    qatar romania russia rwanda samoa scotland senegal serbia montenegro slovakia slovenia somalia spain sudan suriname
    swaziland sweden switzerland syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey turkmenistan uganda ukraine
    uruguay uzbekistan vanuatu venezuela vietnam wales yemen yugoslavia zaire zambia zimbabwe ussr u.s. u.s.a. usa america
    britain u.k. uk palestine kosovo chechnya tibet kurdistan herzegovina grenada bermuda greenland,
    united states|united kingdom|great britain|soviet union|south africa|north korea|south korea|new zealand|saudi arabia|
    sri lanka|costa rica|puerto rico|el salvador|ivory coast|sierra leone|united arab emirates|west germany|east germany|
    czech republic|dominican republic|papua new guinea|hong kong|west bank|gaza strip|persian gulf|middle east|latin america|
    central america|south america|north america|soviet armenia`,
  state: `alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois indiana
    iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri montana nebraska
    nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia washington wisconsin wyoming
    ala. ariz. ark. calif. colo. conn. del. fla. ga. ill. ind. kan. ky. la. md. mass. mich. minn. miss. mo. mont. neb.
    nev. n.h. n.j. n.m. n.y. n.c. n.d. okla. ore. pa. r.i. s.c. s.d. tenn. tex. vt. va. wash. w.va. wis. wyo. d.c.,
    new hampshire|new jersey|new mexico|new york|north carolina|north dakota|rhode island|south carolina|south dakota|
    west virginia|district of columbia`,
  city: `london paris berlin moscow tokyo beijing rome madrid vienna prague warsaw budapest bucharest sofia athens istanbul ankara
    cairo baghdad tehran beirut damascus jerusalem amman riyadh kabul karachi delhi bombay calcutta bangkok manila jakarta
    seoul sydney toronto montreal ottawa vancouver havana managua panama lima bogota caracas quito santiago brasilia
    geneva zurich brussels amsterdam stockholm oslo copenhagen helsinki dublin lisbon belgrade sarajevo zagreb kiev minsk
    chicago boston houston dallas atlanta miami denver seattle detroit philadelphia phoenix baltimore cleveland pittsburgh
    cincinnati milwaukee minneapolis memphis nashville louisville orlando tampa austin sacramento oakland portland honolulu
    anchorage brooklyn manhattan hollywood pasadena berkeley princeton cambridge oxford hiroshima nagasaki shanghai,
    new york city|los angeles|san francisco|san diego|san jose|san antonio|las vegas|new orleans|salt lake city|kansas city|
    st. louis|mexico city|buenos aires|rio de janeiro|sao paulo|tel aviv|new delhi|cape town|hong kong|washington d.c.`,
  nationality: `american americans british briton britons english french frenchman german germans italian italians spanish
    russian russians soviet soviets chinese japanese korean koreans indian indians pakistani israeli israelis palestinian
    palestinians arab arabs iraqi iraqis iranian iranians syrian lebanese egyptian egyptians turkish turk turks greek greeks
    polish pole poles czech hungarian romanian bulgarian serb serbs serbian croat croats croatian bosnian bosnians muslim
    muslims albanian ukrainian ukrainians mexican mexicans cuban cubans canadian canadians brazilian argentine argentines
    argentinian chilean colombian peruvian venezuelan nicaraguan salvadoran panamanian haitian african africans nigerian
    kenyan ethiopian somali sudanese libyan algerian moroccan tunisian saudi kuwaiti afghan afghans vietnamese cambodian thai
    filipino indonesian australian australians dutch belgian swiss swedish norwegian danish finnish irish scottish welsh
    european europeans asian latin jewish jews christian christians catholic catholics protestant protestants sikh sikhs hindu
    hindus kurd kurds kurdish armenian armenians azerbaijani georgian lithuanian latvian estonian democrat democrats
    republican republicans communist communists ecuadoran ecuadorean bolivian uruguayan paraguayan jordanian yemeni omani`,
  month: `january february march april may june july august september october november december jan. feb. mar. apr. aug.
    sept. sep. oct. nov. dec.`,
  weekday: 'monday tuesday wednesday thursday friday saturday sunday',
  title: `mr. mrs. ms. dr. prof. sen. rep. gov. gen. col. lt. sgt. capt. adm. rev. president senator governor minister
    secretary chairman king queen prince princess pope bishop cardinal judge justice mayor ambassador general colonel
    captain lieutenant sergeant commander chief director spokesman spokeswoman premier chancellor sheik ayatollah
    representative congressman congresswoman lawyer attorney officer agent detective professor doctor coach`,
  orgend: `inc. corp. co. ltd. llc plc company corporation group association society committee commission council
    agency administration department ministry bureau office union party university college institute foundation church
    bank airlines airline motors industries systems network times post journal news press television radio museum school
    hospital army navy police court congress senate parliament assembly league federation organization organisation
    club team board authority service services fund center centre laboratory laboratories`,
  firstname: `john james robert michael william david richard charles joseph thomas christopher daniel paul mark donald george
    kenneth steven edward brian ronald anthony kevin jason matthew gary timothy jose larry jeffrey frank scott eric stephen
    andrew raymond gregory joshua jerry dennis walter patrick peter harold douglas henry carl arthur ryan roger joe juan
    jack albert jonathan justin terry gerald keith samuel willie ralph lawrence nicholas roy benjamin bruce brandon adam
    harry fred wayne billy steve louis jeremy aaron randy howard eugene carlos russell bobby victor martin ernest phillip
    todd jesse craig alan shawn clarence sean philip chris johnny earl jimmy antonio danny bryan tony luis mike stanley
    leonard nathan dale manuel rodney curtis norman allen marvin vincent glenn jeffery travis jeff chad jacob lee melvin
    alfred kyle francis bradley jesus herbert frederick ray joel edwin don eddie ricky troy randall barry alexander bernard
    mario leroy francisco marcus micheal theodore clifford miguel oscar jay jim tom calvin alex jon ronnie bill lloyd
    tommy leon derek warren darrell jerome floyd leo alvin tim wesley gordon dean greg jorge dustin pedro derrick dan lewis
    zachary corey herman maurice vernon roberto clyde glen hector shane ricardo sam rick lester brent ramon charlie tyler
    gilbert gene marc reginald ruben brett angel nathaniel rafael leslie edgar milton raul ben chester cecil duane
    franklin andre elmer brad gabriel ron mitchell roland arnold harvey jared adrian karl cory claude erik darryl jamie
    neil jessie christian javier fernando clinton ted mathew tyrone darren lonnie lance cody julio kelly kurt allan
    nelson guy clayton hugh max dwayne dwight armando felix jimmie everett jordan ian wallace ken bob jaime casey alfredo
    alberto dave ivan johnnie sidney byron julian isaac morris clifton willard daryl ross virgil andy marshall salvador
    perry kirk sergio marion tracy seth kent terrance rene eduardo terrence enrique freddie wade mary patricia linda
    barbara elizabeth jennifer maria susan margaret dorothy lisa nancy karen betty helen sandra donna carol ruth sharon
    michelle laura sarah kimberly deborah jessica shirley cynthia angela melissa brenda amy anna rebecca virginia kathleen
    pamela martha debra amanda stephanie carolyn christine marie janet catherine frances ann joyce diane alice julie
    heather teresa doris gloria evelyn jean cheryl mildred katherine joan ashley judith rose janice nicole judy christina
    kathy theresa beverly denise tammy irene jane lori rachel marilyn andrea kathryn louise sara anne jacqueline wanda
    bonnie julia ruby lois tina phyllis norma paula diana annie lillian emily robin peggy crystal gladys rita dawn connie
    florence tracy edna tiffany carmen rosa cindy grace wendy victoria edith kim sherry sylvia josephine thelma shannon
    sheila ethel ellen elaine marjorie carrie charlotte monica esther pauline emma juanita anita rhonda hazel amber eva
    debbie april leslie clara lucille jamie joanne eleanor valerie danielle megan alicia suzanne michele gail bertha
    darlene veronica jill erin geraldine lauren cathy joann lorraine lynn sally regina erica beatrice dolores bernice
    audrey yvonne annette june samantha marion dana stacy ana renee ida vivian roberta holly brittany melanie loretta
    yolanda jeanette laurie katie kristen vanessa alma sue elsie beth jeanne vicki carla tara rosemary eileen terri
    gertrude lucy tonya ella stacey wilma gina kristin jessie natalie agnes vera willie charlene bessie delores melinda
    pearl arlene maureen colleen allison tamara joy georgia constance lillie claudia jackie marcia tanya nellie minnie
    marlene heidi glenda lydia viola courtney marian stella caroline dora jo vickie mattie terry maxine irma mabel marsha
    myrtle lena christy deanna patsy hilda gwendolyn jennie nora margie nina cassandra leah penny kay priscilla naomi
    carole brandy olga billie dianne tracey leona jenny felicia sonia miriam velma becky bobbie violet kristina toni
    misty mae shelly daisy ramona sherri erika katrina claire mikhail boris vladimir yuri sergei nikolai ivan leonid
    helmut hans wolfgang jacques francois pierre jean-claude giuseppe giovanni luigi carlo yasser saddam ali mohammed
    muhammad ahmed hassan hussein abdul omar yitzhak shimon menachem moshe benjamin ariel deng mao zhou kim li`,
};

export interface Lexicon {
  /** lower-cased single tokens -> list names */
  words: Map<string, string[]>;
  /** lower-cased multi-token phrases (space-joined) -> list names */
  phrases: Map<string, string[]>;
  maxLength: number;
}

/**
 * The lists above, indexed for matching on lower-cased tokens, plus optional `extra` named
 * lists of lower-cased (possibly multi-word) phrases (e.g. a model's `wordLists.places`).
 */
export function buildLexicon(extra: Record<string, string[]> = {}): Lexicon {
  const words = new Map<string, string[]>();
  const phrases = new Map<string, string[]>();
  let maxLength = 1;
  const add = (m: Map<string, string[]>, key: string, name: string) => {
    const l = m.get(key) ?? [];
    if (!l.includes(name)) l.push(name);
    m.set(key, l);
  };
  for (const [name, text] of Object.entries(LISTS)) {
    const [single, multi = ''] = text.split(',');
    for (const w of single.split(/\s+/).filter(Boolean)) add(words, w, name);
    for (const p of multi.split('|').map((x) => x.trim().replace(/\s+/g, ' ')).filter(Boolean)) {
      const toks = p.split(' ');
      maxLength = Math.max(maxLength, toks.length);
      if (toks.length === 1) add(words, p, name);
      else add(phrases, p, name);
    }
  }
  for (const [name, list] of Object.entries(extra)) {
    for (const p of list.map((x) => x.trim().replace(/\s+/g, ' ')).filter(Boolean)) {
      const toks = p.split(' ');
      if (toks.length > 8) continue;
      maxLength = Math.max(maxLength, toks.length);
      add(toks.length === 1 ? words : phrases, p, name);
    }
  }
  return { words, phrases, maxLength };
}

/** Per token, `lx=<list>` for single words and `lx=B-/I-/L-<list>` for covered phrases. */
export function lexiconFeatures(tokens: string[], lex: Lexicon): string[][] {
  const lower = tokens.map((t) => t.toLowerCase());
  const out = tokens.map(() => [] as string[]);
  for (let i = 0; i < tokens.length; i++) {
    for (const name of lex.words.get(lower[i]) ?? lex.words.get(lower[i].replace(/\.$/, '')) ?? []) out[i].push(`lx=${name}`);
    for (let len = Math.min(lex.maxLength, tokens.length - i); len >= 2; len--) {
      const names = lex.phrases.get(lower.slice(i, i + len).join(' '));
      if (!names) continue;
      for (const name of names) {
        out[i].push(`lx=B-${name}`);
        for (let k = i + 1; k < i + len - 1; k++) out[k].push(`lx=I-${name}`);
        out[i + len - 1].push(`lx=L-${name}`);
      }
      break;
    }
  }
  return out;
}

/**
 * Longest matches of the named lists in a sentence, left to right, not overlapping: token spans
 * `[start, end)` starting with a capital letter whose lower-cased words are an entry of `list`
 * (the first of `lists` that has it).
 */
export function listMatches(tokens: string[], lex: Lexicon, lists: string[]): { start: number; end: number; list: string }[] {
  const lower = tokens.map((t) => t.toLowerCase());
  const out: { start: number; end: number; list: string }[] = [];
  for (let i = 0; i < tokens.length;) {
    let found: { start: number; end: number; list: string } | undefined;
    for (let len = Math.min(lex.maxLength, tokens.length - i); len >= 1 && !found; len--) {
      const names = len === 1 ? lex.words.get(lower[i]) : lex.phrases.get(lower.slice(i, i + len).join(' '));
      // Proper names only: "shell" in running text is not the company.
      const list = /^\p{Lu}/u.test(tokens[i]) ? lists.find((l) => names?.includes(l)) : undefined;
      if (list) found = { start: i, end: i + len, list };
    }
    if (found) { out.push(found); i = found.end; } else i++;
  }
  return out;
}
